"""The per-user quotas a batch is created within: pages waiting, and batches an hour."""

import math
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from checks import conf
from checks.models import Batch

# How soon to ask again when too many pages wait: about when a good part of them is done.
PENDING_RETRY_SECONDS = 60
HOUR = timedelta(hours=1)


class QuotaExceeded(ValueError):
    """A submission over its owner's limit; nothing was stored. `retry_after` is in seconds."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def quota_check(*, owner: AbstractBaseUser, pages: int, new_batch: bool = True) -> None:
    """Raise QuotaExceeded if `owner` may not queue a batch of `pages` pages now (or, without
    `new_batch`, `pages` more pages of a batch they have).

    Call it inside the transaction that stores the batch: it locks the owner's row (on
    PostgreSQL; SQLite's IMMEDIATE transactions already admit one writer at a time), so two
    submissions at once cannot both slip under a limit.
    """
    get_user_model().objects.select_for_update().filter(pk=owner.pk).exists()
    _pending_check(owner=owner, pages=pages)
    if new_batch:
        _hourly_check(owner=owner)


def _pending_check(*, owner: AbstractBaseUser, pages: int) -> None:
    limit = conf.current().user_max_pending
    if not limit:
        return
    waiting = Batch.objects.filter(owner=owner).pages_waiting()
    if waiting + pages > limit:
        raise QuotaExceeded(
            f"You have {waiting:,} pages waiting to be checked; at most {limit:,} may wait. "
            f"This batch of {pages:,} would exceed it: wait for some to finish, or cancel a "
            "batch.",
            retry_after=PENDING_RETRY_SECONDS,
        )


def _hourly_check(*, owner: AbstractBaseUser) -> None:
    limit = conf.current().user_batches_per_hour
    if not limit:
        return
    now = timezone.now()
    recent = Batch.objects.filter(owner=owner, created_at__gt=now - HOUR)
    count = recent.count()
    if count < limit:
        return
    # Below the limit again once the batch `limit` places before the next one leaves the hour.
    newest_first = recent.order_by("-created_at").values_list("created_at", flat=True)
    freed_at = newest_first[limit - 1] + HOUR
    seconds = max(math.ceil((freed_at - now).total_seconds()), 1)
    raise QuotaExceeded(
        f"You have submitted {count:,} batches in the last hour; at most {limit:,} are "
        f"allowed. Try again in {_duration(seconds)}.",
        retry_after=seconds,
    )


def _duration(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} seconds"
    return f"{math.ceil(seconds / 60)} minutes"
