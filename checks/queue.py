"""The work queue kept in the database: claim pending rows, store outcomes, cancel, recover.

Every transition is a conditional UPDATE inside a short transaction, so any number of threads
and processes can share the queue: a row is checked by whoever claimed it, and only once.
"""

import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta

from django.db import connection, models, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from checks.checker import Outcome
from checks.models import COUNTER_FIELDS, Batch, Result

# What a worker needs of a row it claims.
CLAIM_FIELDS = (
    "pk",
    "batch_id",
    "position",
    "url",
    "title",
    "api_url",
    "batch__total",
    "batch__timeout",
)
# Most page checks one claim takes (they are checked one after another, then stored together).
PAGE_CLAIM_MAX = 16

_sqlite_writers = threading.Lock()


@contextmanager
def _write_transaction() -> Iterator[None]:
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


def results_insert(*, batch_id, rows: Iterable[tuple[str, str, str]]) -> None:
    """Add pending rows `(url, title, api_url)` to a batch, positions in the order given.

    One INSERT statement run for every row (executemany): a 100,000-page batch goes in within a
    second or two, where building model instances for bulk_create takes several times longer.
    """
    columns = ["batch_id", "position", "url", "title", "api_url", "status"]
    columns += ["error", "redirect_target", "normalized_title", "note"]
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(Result._meta.db_table)} ({', '.join(map(quote, columns))}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    batch_value = Result._meta.get_field("batch").get_db_prep_save(batch_id, connection)
    pending = Result.Status.PENDING.value
    with connection.cursor() as cursor:
        cursor.executemany(
            sql,
            (
                (batch_value, position, url, title, api_url, pending, "", "", "", "")
                for position, (url, title, api_url) in enumerate(rows)
            ),
        )


def results_claim(*, api_limit: int, workers: int) -> list[Result]:
    """Take the next pending row for checking, with more pending rows of the same batch bound
    for the same API (up to `api_limit` in all: one API request's worth) or, for page checks,
    a share of what remains small enough that all `workers` get some. Empty when the queue is.
    """
    pending = Result.objects.filter(status=Result.Status.PENDING)
    if connection.features.has_select_for_update_skip_locked:
        # Rows another transaction is claiming are passed over instead of waited for; only
        # the result rows are locked, not their batch.
        pending = pending.select_for_update(skip_locked=True, of=("self",))
    window = max(api_limit, PAGE_CLAIM_MAX)
    with _write_transaction():
        # One query usually finds the whole claim: the next rows in queue order.
        rows = list(pending.order_by("position", "id").values(*CLAIM_FIELDS)[:window])
        if not rows:
            return []
        first = rows[0]
        if first["api_url"]:
            limit = api_limit
        else:
            # Several page checks per claim spare the database two transactions each. Rows
            # are taken in position order, so the position tells how many remain; a quarter of
            # a fair share of those shrinks to one row near the end, keeping every worker busy.
            remaining = first["batch__total"] - first["position"]
            limit = max(1, min(PAGE_CLAIM_MAX, remaining // (workers * 4)))
        kind = (first["batch_id"], first["api_url"])
        claim = [row for row in rows if (row["batch_id"], row["api_url"]) == kind][:limit]
        if len(claim) < limit and len(rows) == window:
            # Other batches' rows filled the window; look at this batch's alone.
            same_kind = pending.filter(batch_id=kind[0], api_url=kind[1])
            claim = list(same_kind.order_by("position", "id").values(*CLAIM_FIELDS)[:limit])
        # Within this transaction the selected rows are still pending (SQLite holds the write
        # lock from BEGIN IMMEDIATE, PostgreSQL the row locks), so all of them are ours.
        Result.objects.filter(
            pk__in=[row["pk"] for row in claim], status=Result.Status.PENDING
        ).update(status=Result.Status.RUNNING, claimed_at=timezone.now())
    batch = Batch(
        pk=first["batch_id"], total=first["batch__total"], timeout=first["batch__timeout"]
    )
    return [_claimed(row, batch=batch) for row in claim]


def _claimed(row: dict, *, batch: Batch) -> Result:
    """A claimed row as a Result carrying what checking it needs (no further query)."""
    result = Result(
        pk=row["pk"],
        position=row["position"],
        url=row["url"],
        title=row["title"],
        api_url=row["api_url"],
        status=Result.Status.RUNNING,
    )
    result.batch = batch
    return result


def results_record(*, outcomes: Sequence[tuple[Result, Outcome]]) -> int:
    """Store the outcomes of claimed rows of one batch, and bump its counters, in one transaction.

    Rows that are no longer being checked (recovered or cancelled meanwhile) are skipped.
    Returns how many were stored.
    """
    if not outcomes:
        return 0
    batch_rows = Batch.objects.filter(pk=outcomes[0][0].batch_id)
    with _write_transaction():
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
        # The update that stores the last results finishes the batch (SET reads the old row).
        finishing = Q(status=Batch.Status.RUNNING, done=F("total") - len(stored))
        # Updating the batch first takes its row lock, so completion orders follow commit order.
        batch_rows.update(
            done=F("done") + len(stored),
            redirect_count=F("redirect_count") + redirects,
            status=Case(When(finishing, then=Value(Batch.Status.FINISHED)), default=F("status")),
            finished_at=Case(When(finishing, then=Value(timezone.now())), default=F("finished_at")),
            **{field: F(field) + n for field, n in counts.items()},
        )
        done = batch_rows.values_list("done", flat=True).get()
        first = done - len(stored) + 1
        _rows_write(
            [
                (
                    Result.Status(outcome.verdict).value,
                    outcome.http_status,
                    outcome.error,
                    outcome.elapsed_ms,
                    outcome.checked_at,
                    outcome.redirect_target,
                    outcome.normalized_title,
                    outcome.note,
                    order,
                    result.pk,
                )
                for order, (result, outcome) in enumerate(stored, start=first)
            ]
        )
    return len(stored)


# What storing an outcome writes on its row, in the order _rows_write() takes the values.
RECORDED_FIELDS = (
    "status",
    "http_status",
    "error",
    "elapsed_ms",
    "checked_at",
    "redirect_target",
    "normalized_title",
    "note",
    "completion_order",
)


def _rows_write(values: list[tuple]) -> None:
    """One UPDATE statement run for every row (executemany): an API chunk stores 50 outcomes,
    and 50 ORM updates would hold the write lock longer than the request took."""
    fields = [Result._meta.get_field(name) for name in RECORDED_FIELDS]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    sql = f"UPDATE {quote(Result._meta.db_table)} SET {assignments} WHERE {quote('id')} = %s"
    adapted = [
        (
            *(field.get_db_prep_save(v, connection) for field, v in zip(fields, row, strict=False)),
            row[-1],
        )
        for row in values
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, adapted)


def results_release(*, results: Sequence[Result]) -> None:
    """Give claimed rows that were not checked back to the queue (the process is stopping)."""
    with _write_transaction():
        Result.objects.filter(
            pk__in=[result.pk for result in results], status=Result.Status.RUNNING
        ).update(status=Result.Status.PENDING, claimed_at=None)


def batch_cancel_rows(*, batch_id) -> bool:
    """Stop a running batch: its pending rows leave the queue; rows in flight still get stored."""
    with _write_transaction():
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
    with _write_transaction():
        requeued = stale.filter(batch__status=Batch.Status.RUNNING).update(
            status=Result.Status.PENDING, claimed_at=None
        )
        abandoned = stale.values("batch_id").annotate(rows=models.Count("pk"))
        for batch_id, rows in abandoned.values_list("batch_id", "rows"):
            Batch.objects.filter(pk=batch_id).update(cancelled_count=F("cancelled_count") + rows)
        stale.update(status=Result.Status.CANCELLED)
    return requeued
