"""The work queue kept in the database: rows in, rows given back, batches cancelled. Claiming is
in engine/claims.py, storing outcomes in engine/outcomes.py, reaping dead claimers in
engine/registry.py."""

# Every transition is a conditional UPDATE inside a short transaction, so any number of threads
# and processes can share the queue: a row is checked by whoever claimed it, and only once.

import itertools
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, NamedTuple
from uuid import UUID

from django.db import connection, models, transaction
from django.db.models import F, Q
from django.utils import timezone

from checks.models import Batch, Result
from checks.probe.outcome import Outcome

if TYPE_CHECKING:
    from checks.engine.claims import ClaimedRow

# The columns results_insert() is given values for, before the outcome's; the others get their
# model defaults.
INSERTED_FIELDS = (
    "batch",
    "position",
    "url",
    "title",
    "entry",
    "lines",
    "api_url",
    "status",
)
# What an outcome fills on its row, named alike on Outcome and Result; a row settled without one
# (an invalid title) has only the first two.
OUTCOME_FIELDS = (
    "error",
    "checked_at",
    "http_status",
    "elapsed_ms",
    "redirect_target",
    "normalized_title",
    "note",
    "page_id",
    "disambiguation",
    "wikidata_item",
    "length",
    "last_edited",
    "final_url",
)
# Reentrant: an operation may store a batch inside its own write transaction (a list's run).
_sqlite_writers = threading.RLock()


@contextmanager
def write_transaction() -> Iterator[None]:
    """transaction.atomic(), with this process's SQLite writers queued on a lock first.

    SQLite admits one writer at a time, and one that finds the database busy sleeps in steps
    of up to 100 ms before trying again; threads waiting on a lock are woken the moment it is
    free instead. (Other processes still meet SQLite's busy timeout.)
    """
    if connection.vendor != "sqlite":
        with transaction.atomic():
            yield
        return
    with _sqlite_writers, transaction.atomic():
        yield


class NewRow(NamedTuple):
    """A row for results_insert(): pending, or settled already with its status and error (a
    title MediaWiki forbids, in page mode) and maybe its whole outcome (a page a generator
    listed); with the entry as typed and its input lines as stored ("3,17")."""

    url: str
    title: str
    api_url: str
    status: str = Result.Status.PENDING
    error: str = ""
    entry: str = ""
    lines: str = ""
    outcome: Outcome | None = None


# A pending row's values; a settled row's, in the order results_insert() gives them.
PENDING_FIELDS = (*INSERTED_FIELDS, "error")
SETTLED_FIELDS = (*INSERTED_FIELDS, "completion_order", *OUTCOME_FIELDS)
_OUTCOME_MODEL_FIELDS = tuple(Result._meta.get_field(name) for name in OUTCOME_FIELDS)
# What a row settled without an outcome has for OUTCOME_FIELDS after its error and time.
UNLEARNT = tuple(Result._meta.get_field(name).get_default() for name in OUTCOME_FIELDS[2:])
# Pending rows inserted by one statement: more only add to the memory they take.
INSERT_CHUNK = 20_000
# Each status as the plain string the database driver binds fastest; a KeyError for no status.
STATUS_VALUES = {status.value: status.value for status in Result.Status}


def results_insert(*, batch_id, rows: Iterable[tuple]) -> None:
    """Add rows `NewRow(url, title, api_url[, status, error, entry, lines, outcome])` to a batch,
    positions in the order given. Settled rows are checked now, and complete first, in the order
    given; the batch's counters are the caller's to set.

    One INSERT statement run for every pending row, another for every settled one (executemany):
    a 100,000-page batch goes in within a second or two, where building model instances for
    bulk_create takes several times longer. The pending rows' values are made as they are
    inserted, INSERT_CHUNK at a time, so that a million-page batch never holds them all at once
    (Django's executemany keeps whatever iterator it is given whole); the settled ones, few but
    from a list read from a wiki, are set aside meanwhile.
    """
    settled: list[tuple] = []
    pending = _pending_values(batch_id=batch_id, rows=rows, settled=settled)
    insert_pending = _insert_sql(PENDING_FIELDS)
    with connection.cursor() as cursor:
        while chunk := list(itertools.islice(pending, INSERT_CHUNK)):
            cursor.executemany(insert_pending, chunk)
        if settled:
            cursor.executemany(_insert_sql(SETTLED_FIELDS), settled)


def _pending_values(*, batch_id, rows: Iterable[tuple], settled: list[tuple]) -> Iterator[tuple]:
    """The PENDING_FIELDS values of the pending rows, positions in the order given; the
    SETTLED_FIELDS values of the others go to `settled`, completing in that order."""
    now = Result._meta.get_field("checked_at").get_db_prep_save(timezone.now(), connection)
    batch_value = Result._meta.get_field("batch").get_db_prep_save(batch_id, connection)
    order = itertools.count(1)
    for position, row in enumerate(rows):
        row = row if type(row) is NewRow else NewRow(*row)
        status = STATUS_VALUES[row.status]
        cells = (batch_value, position, row.url, row.title, row.entry, row.lines, row.api_url)
        if status == "pending":
            yield (*cells, status, row.error)
        elif row.outcome is None:
            settled.append((*cells, status, next(order), row.error, now, *UNLEARNT))
        else:
            settled.append((*cells, status, next(order), *_learnt(row.outcome)))


def _learnt(outcome: Outcome) -> tuple:
    """An outcome's values for OUTCOME_FIELDS, its times as the database takes them (the rest
    are strings, numbers, booleans and None, which every driver takes as they are)."""
    return tuple(
        field.get_db_prep_save(getattr(outcome, field.name), connection)
        if isinstance(field, models.DateTimeField)
        else getattr(outcome, field.name)
        for field in _OUTCOME_MODEL_FIELDS
    )


def _insert_sql(names: tuple[str, ...]) -> str:
    """An INSERT of rows with values for the fields `names` (the values they are given: plain
    ints and strings as the database takes them, or prepared by the caller, possibly fewer than
    the fields) and their model defaults for the others; a column left NULL is left out, as the
    database makes it NULL for less than binding it costs."""
    given = [Result._meta.get_field(name) for name in names]
    defaulted = [
        field
        for field in Result._meta.concrete_fields
        if not field.primary_key and field not in given and field.get_default() is not None
    ]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in given + defaulted)
    defaults = [_literal(field.get_default()) for field in defaulted]
    placeholders = ", ".join(["%s"] * len(given) + defaults)
    return f"INSERT INTO {table_sql(Result)} ({columns}) VALUES ({placeholders})"


def table_sql(model: type[models.Model]) -> str:
    """A model's table as the engine's statements in SQL name it."""
    return connection.ops.quote_name(model._meta.db_table)


def _literal(value: str | bool | int) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    return "'{}'".format(value.replace("'", "''"))


def batch_resume_rows(*, batch_id) -> int:
    """Put the rows a cancelled batch left unchecked back in the queue, the batch running again;
    0 when it is not cancelled, has none, or still has checks in flight (they would be counted
    as not checked when they end). Runs in the caller's transaction."""
    cancelled = Batch.objects.select_for_update().filter(pk=batch_id, status=Batch.Status.CANCELLED)
    if not cancelled.exists():
        return 0
    if Result.objects.filter(batch_id=batch_id, status=Result.Status.RUNNING).exists():
        return 0
    resumed = Result.objects.filter(batch_id=batch_id, status=Result.Status.CANCELLED).update(
        status=Result.Status.PENDING
    )
    if resumed:
        cancelled.update(
            status=Batch.Status.RUNNING,
            finished_at=None,
            cancelled_count=F("cancelled_count") - resumed,
        )
    return resumed


def results_release(*, rows: Iterable["ClaimedRow"]) -> int:
    """Give claimed rows that were not checked back to the queue, those still claimed by whoever
    claimed them here; those of a batch cancelled meanwhile are counted as not checked instead.
    Returns how many went back to the queue."""
    by_claimer: dict[UUID, list[int]] = {}
    for row in rows:
        by_claimer.setdefault(row.claimer, []).append(row.pk)
    claims = Q()
    for claimer, pks in by_claimer.items():
        claims |= Q(pk__in=pks, claimed_by_id=claimer)
    if not by_claimer:
        return 0
    with write_transaction():
        return len(running_release(Result.objects.filter(claims, status=Result.Status.RUNNING)))


def running_release(rows) -> list[int]:
    """Put `rows` (running rows whose claimer has let go of them) back in the queue, or count
    them as not checked where their batch is no longer running. Returns the ids requeued. Runs in
    the caller's transaction."""
    requeued = list(rows.filter(batch__status=Batch.Status.RUNNING).values_list("pk", flat=True))
    # `rows` again: a row stored, or given back and claimed again, since the read stays as it is.
    rows.filter(pk__in=requeued).update(
        status=Result.Status.PENDING, claimed_at=None, claimed_by=None
    )
    # What is still running of `rows` belongs to batches that are no longer running.
    per_batch = rows.values("batch_id").annotate(rows=models.Count("pk"))
    for batch_id, count in per_batch.values_list("batch_id", "rows"):
        Batch.objects.filter(pk=batch_id).update(cancelled_count=F("cancelled_count") + count)
    rows.update(status=Result.Status.CANCELLED, claimed_by=None)
    return requeued


def batch_cancel_rows(*, batch_id) -> bool:
    """Stop a running batch: its pending rows leave the queue; rows in flight still get stored."""
    with write_transaction():
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
