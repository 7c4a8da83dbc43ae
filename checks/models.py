"""Batches of page checks and their results, with the state transitions the workers rely on;
the API tokens that let scripts submit batches."""

import hashlib
import math
import secrets
import uuid
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone


class BatchQuerySet(models.QuerySet):
    def mentioning(self, text: str) -> "BatchQuerySet":
        """Batches with a result whose URL or title contains `text` (any case).

        A correlated EXISTS reads each batch's results through the batch index and stops at the
        first match; a join would need DISTINCT over every matching result.
        """
        matches = Result.objects.filter(
            Q(url__icontains=text) | Q(title__icontains=text), batch=OuterRef("pk")
        )
        return self.filter(Exists(matches))

    def created_between(self, *, since: date | None, until: date | None) -> "BatchQuerySet":
        """Batches created on or after `since` and on or before `until`, days in local time.

        Compared as datetimes, not with __date, so the created_at index still applies.
        """
        batches = self
        # The first and the last day a date can name bound nothing; the day after the last,
        # and the first one's start east of UTC, are beyond what a datetime holds.
        if since and since > date.min:
            batches = batches.filter(created_at__gte=_day_start(since))
        if until and until < date.max:
            batches = batches.filter(created_at__lt=_day_start(until + timedelta(days=1)))
        return batches


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


class Batch(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"
        CANCELLED = "cancelled", "Cancelled"

    class Mode(models.TextChoices):
        API = "api", "MediaWiki API: up to 50 titles per request, where the wiki has one"
        PAGE = "page", "Page requests: one HEAD request per page"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="batches"
    )
    status = models.CharField(max_length=16, choices=Status, default=Status.RUNNING)
    wiki = models.CharField(max_length=255, help_text="Article path bare titles were resolved on.")
    mode = models.CharField(max_length=8, choices=Mode, default=Mode.API)
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
    invalid_count = models.PositiveIntegerField(default=0)
    redirect_count = models.PositiveIntegerField(
        default=0, help_text="Pages found behind a redirect (counted within exists/missing)."
    )
    cancelled_count = models.PositiveIntegerField(
        default=0, help_text="Pages left unchecked because the batch was cancelled."
    )
    checked_ms = models.PositiveBigIntegerField(
        default=0, help_text="Sum of the pages' check times, in ms: the time one by one would take."
    )

    objects = BatchQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "batches"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["owner", "-created_at"]),
            # Claims look at every running batch, quotas at an owner's: few among many.
            models.Index(
                fields=["owner"], condition=Q(status="running"), name="batch_running_by_owner"
            ),
        ]

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

    @property
    def eta_seconds(self) -> int | None:
        """Seconds until the pending pages are done at the rate so far; None before any is."""
        if not self.is_running or not self.done or not self.pending_count:
            return None
        return math.ceil(self.pending_count * self.elapsed_seconds / self.done)

    @property
    def speedup(self) -> float | None:
        """How many times faster than checking the pages one after another; None until known."""
        elapsed = self.elapsed_seconds
        if not self.checked_ms or not elapsed:
            return None
        return self.checked_ms / 1000 / elapsed

    def count_of(self, status: str) -> int:
        """How many results have `status`, from the counters ("pending" includes those being
        checked)."""
        if status == Result.Status.PENDING:
            return self.pending_count
        if status == Result.Status.CANCELLED:
            return self.cancelled_count
        return getattr(self, COUNTER_FIELDS[status])


class ResultQuerySet(models.QuerySet):
    def completed_after(self, cursor: int) -> "ResultQuerySet":
        """Results stored after the first `cursor` ones, in completion order."""
        return self.filter(completion_order__gt=cursor).order_by("completion_order")

    def with_status(self, status: str) -> "ResultQuerySet":
        """Results of one status; "pending" includes those being checked."""
        if status == Result.Status.PENDING:
            return self.filter(status__in=(Result.Status.PENDING, Result.Status.RUNNING))
        return self.filter(status=status)


class Result(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Checking"
        EXISTS = "exists", "Exists"
        MISSING = "missing", "Does not exist"
        UNKNOWN = "unknown", "Unknown"
        ERROR = "error", "Error"
        INVALID = "invalid", "Invalid title"
        CANCELLED = "cancelled", "Not checked (cancelled)"

    CHECKED_STATUSES = (Status.EXISTS, Status.MISSING, Status.UNKNOWN, Status.ERROR, Status.INVALID)
    RETRYABLE_STATUSES = (Status.UNKNOWN, Status.ERROR)
    # What the batch page filters results by: each has a counter on Batch.
    FILTER_STATUSES = (*CHECKED_STATUSES, Status.PENDING, Status.CANCELLED)

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="results")
    position = models.PositiveIntegerField(help_text="Order in the submission, from 0.")
    url = models.CharField(max_length=2048, verbose_name="URL")
    title = models.CharField(max_length=512)
    api_url = models.CharField(
        max_length=255,
        blank=True,
        verbose_name="API URL",
        help_text="The wiki's api.php this page is looked up with; empty for a page request.",
    )
    status = models.CharField(max_length=16, choices=Status, default=Status.PENDING)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True, verbose_name="HTTP")
    error = models.TextField(blank=True, help_text="Why the check failed or was inconclusive.")
    redirect_target = models.CharField(
        max_length=512, blank=True, help_text="The page a redirect leads to (API mode)."
    )
    normalized_title = models.CharField(
        max_length=512, blank=True, help_text="The title as the wiki normalized it, if different."
    )
    note = models.CharField(
        max_length=255, blank=True, help_text="E.g. a special page, or an interwiki link."
    )
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
        ordering = ["batch_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "position"], name="result_unique_position"),
        ]
        indexes = [
            models.Index(fields=["batch", "completion_order"]),
            # The workers' queue: each batch's pending rows, lowest position first (a claim
            # looks at the head of each running batch, never at the whole queue).
            models.Index(
                fields=["batch", "position"],
                condition=Q(status="pending"),
                name="result_pending_by_batch",
            ),
            # A claim gathers the next pending titles of one batch for one API.
            models.Index(
                fields=["batch", "api_url", "position"],
                condition=Q(status="pending"),
                name="result_pending_by_api",
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


# The batch counter each final status bumps.
COUNTER_FIELDS = {
    Result.Status.EXISTS: "exists_count",
    Result.Status.MISSING: "missing_count",
    Result.Status.UNKNOWN: "unknown_count",
    Result.Status.ERROR: "error_count",
    Result.Status.INVALID: "invalid_count",
}


class ApiTokenQuerySet(models.QuerySet):
    def for_key(self, key: str) -> "ApiToken | None":
        """The token this key belongs to, with its user, if the user may still log in."""
        return (
            self.select_related("user")
            .filter(key_hash=ApiToken.key_hash_of(key), user__is_active=True)
            .first()
        )


class ApiToken(models.Model):
    # Recording every use would add a write to each poll; once a minute says enough.
    LAST_USED_RESOLUTION = timedelta(minutes=1)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(
        max_length=100, help_text="What the token is for, e.g. the script or machine using it."
    )
    key_hash = models.CharField(
        max_length=64,
        unique=True,
        editable=False,
        help_text="SHA-256 of the key, in hex; the key itself is shown once and never stored.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = "API token"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def key_hash_of(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    def key_generate(self) -> str:
        """Give the token a new random key and return it: the one moment it is known."""
        key = secrets.token_urlsafe(32)
        self.key_hash = self.key_hash_of(key)
        return key

    def touch(self) -> None:
        """Record a use, unless one was recorded within LAST_USED_RESOLUTION."""
        now = timezone.now()
        if self.last_used_at is None or now - self.last_used_at >= self.LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=self.pk).update(last_used_at=now)
            self.last_used_at = now
