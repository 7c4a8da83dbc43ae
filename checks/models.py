"""Batches of page checks and their results, and what a batch counts of them."""

import math
import re
import uuid
from collections.abc import Sequence
from typing import NamedTuple

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

# Django finds the app's models here; the token model lives with the API, the registry with the
# engine.
from checks.api.tokens import ApiToken
from checks.engine.processes import CheckProcess
from checks.querysets import BatchQuerySet, ResultQuerySet
from checks.watch.records import Delivery, SavedList

# A Wikidata item's id, as Wikidata's page addresses name it.
WIKIDATA_ITEM = re.compile(r"Q[0-9]+")
# A batch's name, given or made from its first entries.
NAME_LENGTH = 200
NAMED_ENTRIES = 3

__all__ = [
    "COUNTER_FIELDS",
    "NAMED_ENTRIES",
    "NAME_LENGTH",
    "TALLIES",
    "ApiToken",
    "Batch",
    "CheckProcess",
    "Delivery",
    "Result",
    "SavedList",
    "Tally",
]


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
    name = models.CharField(
        max_length=NAME_LENGTH, blank=True, help_text="The owner's name for it."
    )
    # Made when the batch is stored, so that a listing of batches names each without its rows.
    entries_name = models.CharField(
        max_length=255, blank=True, help_text="Its first entries, the name shown when it has none."
    )
    wiki = models.CharField(max_length=255, help_text="Article path bare titles were resolved on.")
    mode = models.CharField(max_length=8, choices=Mode, default=Mode.API)
    timeout = models.FloatField(
        null=True, blank=True, help_text="Per-batch timeout in seconds; empty means the default."
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    total = models.PositiveIntegerField(help_text="Distinct pages in the batch.")
    duplicates = models.PositiveIntegerField(default=0, help_text="Entries merged as duplicates.")
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
        help_text="The batch this one checks again (a re-run or a retry).",
    )
    saved_list = models.ForeignKey(
        SavedList,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="runs",
        verbose_name="list",
        help_text="The saved list this batch is a run of.",
    )
    changes_count = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="A list's run: pages changed since its previous run, once counted (and told).",
    )
    # A list that lives on the wiki: a re-run reads the source again.
    source_kind = models.CharField(max_length=16, blank=True, help_text="links, category or empty.")
    source = models.CharField(
        max_length=2048, blank=True, help_text="The page or category the list was read from."
    )
    source_namespaces = models.CharField(
        max_length=64, blank=True, help_text="Namespace ids the links were limited to, e.g. 0,14."
    )
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
    disambiguation_count = models.PositiveIntegerField(
        default=0, help_text="Disambiguation pages, or redirects to one (counted within exists)."
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
    def display_name(self) -> str:
        """The owner's name, else its first entries' (batches from before names: its size)."""
        return self.name or self.entries_name or f"Batch of {self.total:,} pages"

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

    @property
    def attention_count(self) -> int:
        """Pages whose check says nothing sure: unknown, failed or not a valid title."""
        return self.unknown_count + self.error_count + self.invalid_count

    @property
    def has_problems(self) -> bool:
        """Some page is missing or said nothing sure: a finished batch must not look like a
        success (its badge is amber, not green)."""
        return bool(self.missing_count or self.attention_count)

    @property
    def retry_count(self) -> int:
        """Pages a retry would check again (Result.RETRYABLE_STATUSES)."""
        return self.unknown_count + self.error_count

    def count_of(self, status: str) -> int:
        """How many results have `status` (a key of TALLIES), from the counters."""
        return getattr(self, _TALLY_FIELDS[status])

    def tallies(self) -> list["Tally"]:
        """The batch page's counts, in its order; the rarer ones only when there are some."""
        return [
            Tally(
                key=key,
                label=label,
                count=getattr(self, field),
                listable=key in Result.FILTER_STATUSES or key in ResultQuerySet.FLAGS,
            )
            for key, field, label, always in TALLIES
            if always or getattr(self, field)
        ]


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

    # Not indexed alone: every index of the table begins with it.
    batch = models.ForeignKey(
        Batch, on_delete=models.CASCADE, related_name="results", db_index=False
    )
    position = models.PositiveIntegerField(help_text="Order in the submission, from 0.")
    url = models.CharField(max_length=2048, verbose_name="URL")
    title = models.CharField(max_length=512)
    entry = models.CharField(
        max_length=2048, blank=True, help_text="The entry as typed, on the first of its lines."
    )
    lines = models.TextField(
        blank=True, help_text="The input lines naming this page, comma-separated, from 1."
    )
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
    page_id = models.PositiveBigIntegerField(null=True, blank=True, verbose_name="page ID")
    disambiguation = models.BooleanField(
        default=False, help_text="A disambiguation page, or a redirect to one."
    )
    wikidata_item = models.CharField(max_length=32, blank=True, help_text="E.g. Q42.")
    length = models.PositiveIntegerField(null=True, blank=True, help_text="In bytes.")
    last_edited = models.DateTimeField(null=True, blank=True)
    final_url = models.CharField(
        max_length=2048, blank=True, help_text="Page mode: where the redirects ended."
    )
    elapsed_ms = models.PositiveIntegerField(null=True, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(
        null=True, blank=True, help_text="When a worker took this row for checking."
    )
    # No foreign key constraint: a process's entry is deleted in the transaction that gives its
    # rows back, and a cascade would scan every row of the table.
    claimed_by = models.ForeignKey(
        CheckProcess,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="claims",
        help_text="The process checking this row now.",
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
            # One page's history across the batches that checked it: by title, which a page's
            # URL spells (shorter keys than the URL's, so that storing a batch pays less).
            models.Index(fields=["title"], name="result_by_title"),
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
            # The rows in flight, by the process checking them.
            models.Index(
                fields=["claimed_by"], condition=Q(status="running"), name="result_running_claims"
            ),
        ]

    def __str__(self) -> str:
        return self.url

    @property
    def line(self) -> int:
        """The input line naming the page first (a page listed from the wiki: its place)."""
        first = self.lines.partition(",")[0]
        return int(first) if first else self.position + 1

    @property
    def link_url(self) -> str:
        """The URL to link to, or "" for anything but http(s) (a row not made by the form)."""
        return self.url if self.url.startswith(("https://", "http://")) else ""

    @property
    def wikidata_url(self) -> str:
        """The Wikidata item's page, or "" unless the wiki gave a Q-id (it is not trusted)."""
        item = self.wikidata_item
        return f"https://www.wikidata.org/wiki/{item}" if WIKIDATA_ITEM.fullmatch(item) else ""


def name_from_titles(titles: Sequence[str], *, total: int) -> str:
    """A batch's name made of its first titles: "Ocean, Island, Shark and 2 more"."""
    named = [title for title in titles[:NAMED_ENTRIES] if title]
    rest = total - len(named)
    text = ", ".join(named) + (f" and {rest:,} more" if rest > 0 else "")
    return text if len(text) <= 255 else text[:254] + "…"


# What a batch counts, in the order its page shows it: the key (a status results can be listed
# by, "redirect" or "disambiguation"), the Batch attribute holding the count, the label of its
# chip, and whether the chip shows when the count is 0. "pending" includes the results being
# checked; redirects are counted within exists and missing, disambiguation pages within exists.
TALLIES = (
    (Result.Status.EXISTS, "exists_count", "Exists", True),
    (Result.Status.MISSING, "missing_count", "Does not exist", True),
    (Result.Status.UNKNOWN, "unknown_count", "Unknown", True),
    (Result.Status.ERROR, "error_count", "Error", True),
    (Result.Status.INVALID, "invalid_count", "Invalid title", False),
    ("redirect", "redirect_count", "Via redirect", False),
    ("disambiguation", "disambiguation_count", "Disambiguation", False),
    (Result.Status.PENDING, "pending_count", "Pending", True),
    (Result.Status.CANCELLED, "cancelled_count", "Not checked", False),
)
_TALLY_FIELDS = {key: field for key, field, _, _ in TALLIES}
# The Batch counter each final status bumps when a result is stored with it.
COUNTER_FIELDS = {status: _TALLY_FIELDS[status] for status in Result.CHECKED_STATUSES}


class Tally(NamedTuple):
    """One count of a batch; `listable` when it is a status the results can be listed by."""

    key: str
    label: str
    count: int
    listable: bool
