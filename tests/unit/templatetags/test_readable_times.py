from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from checks.templatetags.readable_times import duration, moment


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (0.04, "0.0 s"),
        (4.2, "4.2 s"),
        (9.96, "10 s"),
        (42.4, "42 s"),
        (59.6, "1 min"),
        (190, "3 min 10 s"),
        (3600, "1 h"),
        (7500, "2 h 5 min"),
        (2 * 86400 + 4 * 3600 + 59, "2 d 4 h"),
    ],
)
def test_a_duration_reads_in_two_units_at_most(seconds, words):
    assert duration(seconds) == words


def test_a_moment_of_today_reads_today_and_the_time():
    now = timezone.localtime()

    assert moment(now) == f"today {now:%H:%M}"


def test_a_moment_of_yesterday_reads_yesterday_and_the_time():
    then = timezone.localtime() - timedelta(days=1)

    assert moment(then) == f"yesterday {then:%H:%M}"


def test_a_moment_earlier_this_year_reads_its_day_and_time():
    now = timezone.localtime()
    then = now - timedelta(days=2) if now.timetuple().tm_yday > 2 else now + timedelta(days=2)

    assert moment(then) == f"{then.day} {then:%b} {then:%H:%M}"


def test_a_moment_of_another_year_reads_its_date_with_the_year():
    assert moment(datetime(2024, 12, 2, 14, 2, tzinfo=UTC)) == "2 Dec 2024"


def test_a_moment_reads_in_the_sites_time_zone(settings):
    settings.TIME_ZONE = "Asia/Tokyo"

    assert moment(datetime(2024, 12, 2, 20, 30, tzinfo=UTC)) == "3 Dec 2024"
