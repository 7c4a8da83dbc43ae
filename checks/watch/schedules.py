"""Firing the schedules that are due: each due run becomes one batch, however many processes
look at once."""

# A due list is claimed with a conditional UPDATE that moves its next_run_at forward: of all the
# processes that read the same due time, one moves it, the others update nothing and pass. The
# claim comes first and the run after, so a crash between them skips one run rather than running
# it twice; the list's schedule_note says so whenever a due run did not start.

import logging
from datetime import datetime

from django.utils import timezone

from checks.batches import HostsNotAllowed
from checks.models import Batch, SavedList
from checks.quotas import QuotaExceeded
from checks.watch.lists import RunRefused, list_run

logger = logging.getLogger(__name__)

# Schedules fired per round: the rest wait for the next sweep.
FIRED_PER_ROUND = 50


def schedules_fire(*, now: datetime | None = None) -> list[Batch]:
    """Start one run of each list whose schedule is due, and move each schedule to its next
    time; returns the batches this call started."""
    now = now or timezone.now()
    due = (
        SavedList.objects.due(now)
        .order_by("next_run_at")
        .values_list("pk", "next_run_at")[:FIRED_PER_ROUND]
    )
    started = []
    for pk, due_at in list(due):
        saved_list = _claim(pk=pk, due_at=due_at, now=now)
        if saved_list is None:
            continue
        batch = _run(saved_list, due_at=due_at)
        if batch is not None:
            started.append(batch)
    return started


def _claim(*, pk: int, due_at: datetime, now: datetime) -> SavedList | None:
    """The list, if this call moved its schedule on from `due_at`; None if another did."""
    saved_list = SavedList.objects.select_related("owner").filter(pk=pk).first()
    if saved_list is None or saved_list.interval is None:
        return None
    following = due_at + saved_list.interval
    if following <= now:
        # Runs missed while nothing was running are not made up in a burst: the next one is
        # the first still ahead, at the schedule's time of day.
        missed = (now - due_at) // saved_list.interval
        following = due_at + (missed + 1) * saved_list.interval
    claimed = SavedList.objects.filter(pk=pk, next_run_at=due_at).update(next_run_at=following)
    if not claimed:
        return None
    saved_list.next_run_at = following
    return saved_list


def _run(saved_list: SavedList, *, due_at: datetime) -> Batch | None:
    when = timezone.localtime(due_at).strftime("%Y-%m-%d %H:%M")
    try:
        batch = list_run(saved_list=saved_list)
    except (RunRefused, QuotaExceeded, HostsNotAllowed) as exc:
        note = f"The run due at {when} did not start: {exc}"
        logger.warning("list %s: %s", saved_list.pk, note)
        SavedList.objects.filter(pk=saved_list.pk).update(schedule_note=note[:500])
        return None
    if saved_list.schedule_note:
        SavedList.objects.filter(pk=saved_list.pk).update(schedule_note="")
    return batch
