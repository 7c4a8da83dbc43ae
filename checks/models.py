"""Batches of page checks and their results, with the state transitions the workers rely on."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Q
from django.db.models.functions import Now
from django.urls import reverse
from django.utils import timezone

from checks.checker import Outcome


class Batch(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"
        CANCELLED = "cancelled", "Cancelled"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="batches"
    )
    status = models.CharField(max_length=16, choices=Status, default=Status.RUNNING)
    wiki = models.CharField(max_length=255, help_text="Article path bare titles were resolved on.")
    timeout = models.FloatField(
        null=True, blank=True, help_text="Per-batch timeout in seconds; empty means the default."
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    total = models.PositiveIntegerField(help_text="Distinct pages in the batch.")
    duplicates = models.PositiveIntegerField(default=0, help_text="Entries merged as duplicates.")
    # Counters are bumped with F() in the same transaction that stores each result, so the
    # progress page reads one row instead of counting the results table.
    done = models.PositiveIntegerField(default=0)
    exists_count = models.PositiveIntegerField(default=0)
    missing_count = models.PositiveIntegerField(default=0)
    unknown_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    cancelled_count = models.PositiveIntegerField(
        default=0, help_text="Pages left unchecked because the batch was cancelled."
    )

    class Meta:
        verbose_name_plural = "batches"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "-created_at"])]

    def __str__(self) -> str:
        return f"Batch {str(self.id)[:8]} ({self.total} pages)"

    def get_absolute_url(self) -> str:
        return reverse("batch_detail", args=[self.id])

    @property
    def pending_count(self) -> int:
        return self.total - self.done - self.cancelled_count

    @property
    def is_running(self) -> bool:
        return self.status == self.Status.RUNNING

    @property
    def is_settled(self) -> bool:
        """Nothing will change any more: finished, or cancelled with no check still in flight."""
        return not self.is_running and self.pending_count == 0

    @property
    def percent(self) -> int:
        return 100 if not self.total else (self.total - self.pending_count) * 100 // self.total

    @property
    def elapsed_seconds(self) -> float:
        end = self.finished_at or timezone.now()
        return max((end - self.created_at).total_seconds(), 0.0)


class ResultQuerySet(models.QuerySet):
    def completed_after(self, cursor: int) -> "ResultQuerySet":
        """Results stored after the first `cursor` ones, in completion order."""
        return self.filter(completion_order__gt=cursor).order_by("completion_order")


class Result(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Checking"
        EXISTS = "exists", "Exists"
        MISSING = "missing", "Does not exist"
        UNKNOWN = "unknown", "Unknown"
        ERROR = "error", "Error"
        CANCELLED = "cancelled", "Not checked (cancelled)"

    CHECKED_STATUSES = (Status.EXISTS, Status.MISSING, Status.UNKNOWN, Status.ERROR)
    RETRYABLE_STATUSES = (Status.UNKNOWN, Status.ERROR)

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="results")
    position = models.PositiveIntegerField(help_text="Order in the submission, from 0.")
    url = models.CharField(max_length=2048, verbose_name="URL")
    title = models.CharField(max_length=512)
    status = models.CharField(max_length=16, choices=Status, default=Status.PENDING)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True, verbose_name="HTTP")
    error = models.TextField(blank=True)
    elapsed_ms = models.PositiveIntegerField(null=True, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(
        null=True, blank=True, help_text="When a worker took this row for checking."
    )
    completion_order = models.PositiveIntegerField(
        null=True, blank=True, help_text="1 for the first result stored in its batch, and so on."
    )

    objects = ResultQuerySet.as_manager()

    class Meta:
        ordering = ["batch", "position"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "position"], name="result_unique_position"),
        ]
        indexes = [
            models.Index(fields=["batch", "completion_order"]),
            # The workers' queue: only pending rows, oldest position first across batches.
            models.Index(
                fields=["position", "id"],
                condition=Q(status="pending"),
                name="result_pending_queue",
            ),
            # Lease recovery looks for rows being checked, oldest claim first.
            models.Index(
                fields=["claimed_at"],
                condition=Q(status="running"),
                name="result_running_claims",
            ),
        ]

    def __str__(self) -> str:
        return self.url

    @property
    def link_url(self) -> str:
        """The URL to link to, or "" for anything but http(s) (a row not made by the form)."""
        return self.url if self.url.startswith(("https://", "http://")) else ""


# --- State transitions --------------------------------------------------------------------------

COUNTER_FIELDS = {
    Result.Status.EXISTS: "exists_count",
    Result.Status.MISSING: "missing_count",
    Result.Status.UNKNOWN: "unknown_count",
    Result.Status.ERROR: "error_count",
}


def result_claim_next() -> Result | None:
    """Take the next pending row for checking, or None when the queue is empty.

    The conditional UPDATE only succeeds while the row is still pending, so two workers (or two
    processes) never check the same row.
    """
    while True:
        with transaction.atomic():
            candidate = (
                Result.objects.filter(status=Result.Status.PENDING)
                .order_by("position", "id")
                .values_list("pk", flat=True)
                .first()
            )
            if candidate is None:
                return None
            won = Result.objects.filter(pk=candidate, status=Result.Status.PENDING).update(
                status=Result.Status.RUNNING, claimed_at=Now()
            )
        if won:
            return Result.objects.select_related("batch").get(pk=candidate)


def result_record(*, result: Result, outcome: Outcome) -> bool:
    """Store a checked row's outcome and bump its batch's counters in one transaction.

    Returns False when the row was no longer being checked (nothing is stored then).
    """
    status = Result.Status(outcome.verdict)
    counter = COUNTER_FIELDS[status]
    batch_rows = Batch.objects.filter(pk=result.batch_id)
    with transaction.atomic():
        # Updating the batch first takes its row lock, so completion orders follow commit order.
        batch_rows.update(done=F("done") + 1, **{counter: F(counter) + 1})
        stored = Result.objects.filter(pk=result.pk, status=Result.Status.RUNNING).update(
            status=status,
            http_status=outcome.http_status,
            error=outcome.error,
            elapsed_ms=outcome.elapsed_ms,
            checked_at=outcome.checked_at,
            completion_order=models.Subquery(batch_rows.values("done")[:1]),
        )
        if not stored:
            transaction.set_rollback(True)
            return False
        # Only the transaction that stores the last result matches done == total.
        batch_rows.filter(status=Batch.Status.RUNNING, done=F("total")).update(
            status=Batch.Status.FINISHED, finished_at=timezone.now()
        )
    return True


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
