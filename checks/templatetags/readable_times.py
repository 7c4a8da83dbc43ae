"""Template filters that put times in words read at a glance: how long, and when."""

from datetime import datetime, timedelta

from django import template
from django.utils import dateformat, timezone

register = template.Library()


@register.filter
def duration(seconds: float) -> str:
    """Seconds in words, two units at most: "4.2 s", "42 s", "3 min 10 s", "2 h 5 min"."""
    if seconds < 9.95:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    if not minutes:
        return f"{rest} s"
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return _units((minutes, "min"), (rest, "s"))
    days, hours = divmod(hours, 24)
    if not days:
        return _units((hours, "h"), (minutes, "min"))
    return _units((days, "d"), (hours, "h"))


def _units(larger: tuple[int, str], smaller: tuple[int, str]) -> str:
    """The larger unit, and the smaller one when it is not 0."""
    text = f"{larger[0]} {larger[1]}"
    return f"{text} {smaller[0]} {smaller[1]}" if smaller[0] else text


@register.filter
def moment(value: datetime) -> str:
    """When, in the current time zone: "today 14:02", "yesterday 09:15", "2 Dec 14:02", and
    with the year for another year's: "2 Dec 2024"."""
    local = timezone.localtime(value)
    today = timezone.localdate()
    if local.date() == today:
        return f"today {local:%H:%M}"
    if local.date() == today - timedelta(days=1):
        return f"yesterday {local:%H:%M}"
    if local.year == today.year:
        return dateformat.format(local, "j M H:i")
    return dateformat.format(local, "j M Y")
