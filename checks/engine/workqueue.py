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

from checks.engine.claim_order import ClaimOrder
from checks.models import COUNTER_FIELDS, Batch, Result
from checks.probe.page import Outcome

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
_sqlite_writers = threading.Lock()


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


def _passing_over_locked(rows):
    """`rows` read so that rows another transaction is claiming are passed over instead of
    waited for (where the database can); only the result rows are locked, not their batch."""
    if connection.features.has_select_for_update_skip_locked:
        return rows.select_for_update(skip_locked=True, of=("self",))
    return rows


def results_claim(*, units: int, api_limit: int) -> list[list[Result]]:
    """Take up to `units` units of work from the queue in one transaction, fairly across owners:
    each unit goes to the owner with the fewest units in flight (those claimed here included),
    then to the batch whose next pending row has the lowest position. A unit is one page to
    request, or up to `api_limit` pending titles of one batch bound for the same API. Empty
    when the queue is.

    Reads only the running batches, the rows in flight and a few rows at the head of the
    batches chosen, each through an index: never the whole queue.
    """
    claimed: list[list[dict]] = []
    with write_transaction():
        order = _claim_order(api_limit=api_limit)
        read_ahead: dict = {}  # batch -> its pending rows read, whether that is all, rows taken
        while len(claimed) < units and (batch_id := order.next_batch()) is not None:
            taken = _batch_units(
                batch_id,
                order=order,
                read_ahead=read_ahead,
                units=units - len(claimed),
                api_limit=api_limit,
            )
            if not taken:
                order.drop(batch_id)
            claimed += taken
        # Within this transaction the selected rows are still pending (SQLite holds the write
        # lock from BEGIN IMMEDIATE, PostgreSQL the row locks), so all are ours.
        Result.objects.filter(
            pk__in=[row["pk"] for unit in claimed for row in unit], status=Result.Status.PENDING
        ).update(status=Result.Status.RUNNING, claimed_at=timezone.now())
    batches: dict = {}
    return [[_claimed(row, batches=batches) for row in unit] for unit in claimed]


def results_claim_ids(*, ids: Sequence[int], lease_seconds: float) -> list[Result]:
    """Claim these rows, in position order, where they still wait to be checked: pending, or
    claimed longer than `lease_seconds` ago by a worker that must have died. Rows being checked
    or already checked are left alone, so claiming the same rows twice checks them once.
    """
    cutoff = timezone.now() - timedelta(seconds=lease_seconds)
    claimable = Result.objects.filter(pk__in=ids).filter(
        Q(status=Result.Status.PENDING)
        | Q(status=Result.Status.RUNNING, claimed_at__lt=cutoff, batch__status=Batch.Status.RUNNING)
    )
    claimable = _passing_over_locked(claimable)
    with write_transaction():
        rows = list(claimable.order_by("position", "id").values(*CLAIM_FIELDS))
        Result.objects.filter(pk__in=[row["pk"] for row in rows]).update(
            status=Result.Status.RUNNING, claimed_at=timezone.now()
        )
    batches: dict = {}
    return [_claimed(row, batches=batches) for row in rows]


def _claim_order(*, api_limit: int) -> ClaimOrder:
    """The running batches with rows left to claim, and each owner's units in flight.

    Two small reads, whatever the size of the queue: the running batches, whose counters say
    how many of their rows are done, and the rows in flight. A batch's rows are claimed in
    position order, so the rows it has started tell where its next pending row is. An API unit
    in flight counts as one, estimated as its rows divided by `api_limit`.
    """
    running = Batch.objects.filter(status=Batch.Status.RUNNING).order_by()
    batches = running.values_list("pk", "owner_id", "total", "done", "cancelled_count")
    # Counted here rather than with GROUP BY, which SQLite would answer by scanning the batch
    # index of every row instead of the small index of rows in flight.
    in_flight_rows = Counter(
        Result.objects.filter(status=Result.Status.RUNNING)
        .order_by()
        .values_list("batch_id", "api_url")
    )
    started: Counter = Counter()
    units: Counter = Counter()
    for (batch_id, api_url), rows in in_flight_rows.items():
        started[batch_id] += rows
        units[batch_id] += -(-rows // api_limit) if api_url else rows
    heads, owners = {}, {}
    in_flight: Counter = Counter()
    for batch_id, owner_id, total, done, cancelled in batches:
        owners[batch_id] = owner_id
        in_flight[owner_id] += units[batch_id]
        if done + cancelled + started[batch_id] < total:
            heads[batch_id] = done + cancelled + started[batch_id]
    return ClaimOrder(heads=heads, owners=owners, in_flight=in_flight)


def _batch_units(
    batch_id, *, order: ClaimOrder, read_ahead: dict, units: int, api_limit: int
) -> list[list[dict]]:
    """Units from the head of one batch while it keeps its turn (at most `units`)."""
    rows, complete, taken_pks = read_ahead.get(batch_id) or ([], False, set())
    if not rows:
        pending = _pending_of(batch_id, taken_pks=taken_pks)
        # Positions are unique within a batch: the index gives this order, with or without
        # the planner's statistics (PostgreSQL sorted the whole batch to add "id").
        rows = list(pending.order_by("position").values(*CLAIM_FIELDS)[:units])
        complete = len(rows) < units
    taken = []
    while rows and len(taken) < units:
        pending = _pending_of(batch_id, taken_pks=taken_pks)
        unit = _unit_from(rows, pending=pending, api_limit=api_limit, complete=complete)
        unit_pks = {row["pk"] for row in unit}
        taken_pks |= unit_pks
        rows = [row for row in rows if row["pk"] not in unit_pks]
        taken.append(unit)
        if rows:
            next_head = rows[0]["position"]
        elif complete:
            next_head = None
        else:
            next_head = unit[-1]["position"] + 1  # at least; the next read tells
        order.taken(batch_id, next_head=next_head)
        if not order.keeps_turn(batch_id):
            break
    read_ahead[batch_id] = (rows, complete, taken_pks)
    return taken


def _pending_of(batch_id, *, taken_pks: set):
    """The batch's pending rows but those this claim took already: they are marked running
    only once the claim is done."""
    rows = Result.objects.filter(batch_id=batch_id, status=Result.Status.PENDING)
    return _passing_over_locked(rows.exclude(pk__in=list(taken_pks)))


def _unit_from(rows: list[dict], *, pending, api_limit: int, complete: bool) -> list[dict]:
    """The unit at the head of a batch's pending rows: one page, or that row's API's titles."""
    first = rows[0]
    if not first["api_url"]:
        return [first]
    titles = [row for row in rows if row["api_url"] == first["api_url"]][:api_limit]
    if len(titles) < api_limit and not complete:
        # The rows read hold too few of this API's titles: read those alone.
        same_api = pending.filter(api_url=first["api_url"])
        titles = list(same_api.order_by("position").values(*CLAIM_FIELDS)[:api_limit])
    return titles


def _claimed(row: dict, *, batches: dict) -> Result:
    """A claimed row as a Result carrying what checking it needs (no further query)."""
    batch = batches.get(row["batch_id"])
    if batch is None:
        batch = batches[row["batch_id"]] = Batch(
            pk=row["batch_id"], total=row["batch__total"], timeout=row["batch__timeout"]
        )
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
    """Store the outcomes of claimed rows, and bump their batches' counters, in one transaction.

    Rows that are no longer being checked (recovered or cancelled meanwhile) are skipped.
    Returns how many were stored.
    """
    if not outcomes:
        return 0
    with write_transaction():
        running = set(
            Result.objects.filter(
                pk__in=[result.pk for result, _ in outcomes], status=Result.Status.RUNNING
            ).values_list("pk", flat=True)
        )
        by_batch: dict = {}
        for result, outcome in outcomes:
            if result.pk in running:
                by_batch.setdefault(result.batch_id, []).append((result, outcome))
        values = []
        for batch_id, stored in by_batch.items():
            first = _batch_count(batch_id=batch_id, outcomes=[o for _, o in stored])
            if first is None:
                continue
            values += [
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
        if values:
            _rows_write(values)
    return len(values)


def _batch_count(*, batch_id, outcomes: Sequence[Outcome]) -> int | None:
    """Add outcomes to a batch's counters; returns the completion order of the first of them,
    or None when the batch was deleted meanwhile (its rows are gone too)."""
    batch_rows = Batch.objects.filter(pk=batch_id)
    counts = Counter(COUNTER_FIELDS[Result.Status(outcome.verdict)] for outcome in outcomes)
    redirects = sum(1 for outcome in outcomes if outcome.redirect_target)
    # The update that stores the last results finishes the batch (SET reads the old row).
    finishing = Q(status=Batch.Status.RUNNING, done=F("total") - len(outcomes))
    # Updating the batch first takes its row lock, so completion orders follow commit order.
    updated = batch_rows.update(
        done=F("done") + len(outcomes),
        redirect_count=F("redirect_count") + redirects,
        checked_ms=F("checked_ms") + sum(outcome.elapsed_ms for outcome in outcomes),
        status=Case(When(finishing, then=Value(Batch.Status.FINISHED)), default=F("status")),
        finished_at=Case(When(finishing, then=Value(timezone.now())), default=F("finished_at")),
        **{field: F(field) + n for field, n in counts.items()},
    )
    if not updated:
        return None
    return batch_rows.values_list("done", flat=True).get() - len(outcomes) + 1


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
    with write_transaction():
        Result.objects.filter(
            pk__in=[result.pk for result in results], status=Result.Status.RUNNING
        ).update(status=Result.Status.PENDING, claimed_at=None)


def results_drop(*, results: Sequence[Result]) -> None:
    """Claimed rows of a batch cancelled before they were checked: counted as not checked."""
    with write_transaction():
        _running_to_cancelled(
            Result.objects.filter(
                pk__in=[result.pk for result in results], status=Result.Status.RUNNING
            )
        )


def _running_to_cancelled(rows) -> None:
    per_batch = rows.values("batch_id").annotate(rows=models.Count("pk"))
    for batch_id, count in per_batch.values_list("batch_id", "rows"):
        Batch.objects.filter(pk=batch_id).update(cancelled_count=F("cancelled_count") + count)
    rows.update(status=Result.Status.CANCELLED)


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


def results_recover_stale(*, lease_seconds: float) -> int:
    """Put rows back in the queue whose worker has held them longer than any check can take.

    A row of a batch cancelled meanwhile is not checked again but counted as cancelled.
    """
    cutoff = timezone.now() - timedelta(seconds=lease_seconds)
    stale = Result.objects.filter(status=Result.Status.RUNNING, claimed_at__lt=cutoff)
    with write_transaction():
        requeued = stale.filter(batch__status=Batch.Status.RUNNING).update(
            status=Result.Status.PENDING, claimed_at=None
        )
        _running_to_cancelled(stale)
    return requeued
