"""The work queue kept in the database: claim pending rows, store outcomes, cancel, recover.

Every transition is a conditional UPDATE inside a short transaction, so any number of threads
and processes can share the queue: a row is checked by whoever claimed it, and only once.
"""

from collections import Counter
from collections.abc import Sequence
from datetime import timedelta

from django.db import connection, models, transaction
from django.db.models import F
from django.utils import timezone

from checks.checker import Outcome
from checks.models import COUNTER_FIELDS, Batch, Result


def results_claim(*, limit: int) -> list[Result]:
    """Take the next pending row for checking, with (for API look-ups) up to `limit - 1` more
    pending rows of the same batch bound for the same API. Empty when the queue is empty.
    """
    pending = Result.objects.filter(status=Result.Status.PENDING)
    if connection.features.has_select_for_update_skip_locked:
        # Rows another transaction is claiming are passed over instead of waited for.
        pending = pending.select_for_update(skip_locked=True)
    with transaction.atomic():
        first = pending.order_by("position", "id").values("pk", "batch_id", "api_url").first()
        if first is None:
            return []
        if first["api_url"]:
            same_api = pending.filter(batch_id=first["batch_id"], api_url=first["api_url"])
            pks = list(same_api.order_by("position", "id").values_list("pk", flat=True)[:limit])
        else:
            pks = [first["pk"]]
        # Within this transaction the selected rows are still pending (SQLite holds the write
        # lock from BEGIN IMMEDIATE, PostgreSQL the row locks), so all of them are ours.
        Result.objects.filter(pk__in=pks, status=Result.Status.PENDING).update(
            status=Result.Status.RUNNING, claimed_at=timezone.now()
        )
    return list(Result.objects.filter(pk__in=pks).select_related("batch").order_by("position"))


def results_record(*, outcomes: Sequence[tuple[Result, Outcome]]) -> int:
    """Store the outcomes of claimed rows of one batch, and bump its counters, in one transaction.

    Rows that are no longer being checked (recovered or cancelled meanwhile) are skipped.
    Returns how many were stored.
    """
    if not outcomes:
        return 0
    batch_rows = Batch.objects.filter(pk=outcomes[0][0].batch_id)
    with transaction.atomic():
        running = set(
            Result.objects.filter(
                pk__in=[result.pk for result, _ in outcomes], status=Result.Status.RUNNING
            ).values_list("pk", flat=True)
        )
        stored = [(result, outcome) for result, outcome in outcomes if result.pk in running]
        if not stored:
            return 0
        counts = Counter(COUNTER_FIELDS[Result.Status(o.verdict)] for _, o in stored)
        redirects = sum(1 for _, outcome in stored if outcome.redirect_target)
        # Updating the batch first takes its row lock, so completion orders follow commit order.
        batch_rows.update(
            done=F("done") + len(stored),
            redirect_count=F("redirect_count") + redirects,
            **{field: F(field) + n for field, n in counts.items()},
        )
        done = batch_rows.values_list("done", flat=True).get()
        for order, (result, outcome) in enumerate(stored, start=done - len(stored) + 1):
            Result.objects.filter(pk=result.pk).update(
                status=Result.Status(outcome.verdict),
                http_status=outcome.http_status,
                error=outcome.error,
                elapsed_ms=outcome.elapsed_ms,
                checked_at=outcome.checked_at,
                redirect_target=outcome.redirect_target,
                normalized_title=outcome.normalized_title,
                note=outcome.note,
                completion_order=order,
            )
        # Only the transaction that stores the last result matches done == total.
        batch_rows.filter(status=Batch.Status.RUNNING, done=F("total")).update(
            status=Batch.Status.FINISHED, finished_at=timezone.now()
        )
    return len(stored)


def batch_cancel_rows(*, batch_id) -> bool:
    """Stop a running batch: its pending rows leave the queue; rows in flight still get stored."""
    with transaction.atomic():
        stopped = Batch.objects.filter(pk=batch_id, status=Batch.Status.RUNNING).update(
            status=Batch.Status.CANCELLED, finished_at=timezone.now()
        )
        if not stopped:
            return False
        skipped = Result.objects.filter(batch_id=batch_id, status=Result.Status.PENDING).update(
            status=Result.Status.CANCELLED
        )
        Batch.objects.filter(pk=batch_id).update(cancelled_count=skipped)
    return True


def results_recover_stale(*, lease_seconds: float) -> int:
    """Put rows back in the queue whose worker has held them longer than any check can take.

    A row of a batch cancelled meanwhile is not checked again but counted as cancelled.
    """
    cutoff = timezone.now() - timedelta(seconds=lease_seconds)
    stale = Result.objects.filter(status=Result.Status.RUNNING, claimed_at__lt=cutoff)
    with transaction.atomic():
        requeued = stale.filter(batch__status=Batch.Status.RUNNING).update(
            status=Result.Status.PENDING, claimed_at=None
        )
        abandoned = stale.values("batch_id").annotate(rows=models.Count("pk"))
        for batch_id, rows in abandoned.values_list("batch_id", "rows"):
            Batch.objects.filter(pk=batch_id).update(cancelled_count=F("cancelled_count") + rows)
        stale.update(status=Result.Status.CANCELLED)
    return requeued
