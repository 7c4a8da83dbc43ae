"""Claiming work from the database queue: pending rows become a worker's `Claim`, fairly across
owners, and marked running in the same short transaction."""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from django.db import connection
from django.utils import timezone

from checks.engine.claim_order import ClaimOrder
from checks.engine.heartbeat import process_id
from checks.engine.workqueue import write_transaction
from checks.models import Batch, Result
from checks.probe.mediawiki import TITLES_PER_REQUEST

# What a worker needs of a row it claims.
CLAIM_FIELDS = ("pk", "batch_id", "position", "url", "title", "api_url", "batch__timeout")


@dataclass(frozen=True)
class ClaimedRow:
    """A row a worker holds: where to look, and which row its outcome goes to."""

    pk: int
    batch_id: UUID
    position: int
    url: str
    title: str
    claimer: UUID  # the registry id of the process that claimed it (engine/heartbeat.py)


@dataclass(frozen=True)
class Claim:
    """One unit of work: one page to request, or the titles of one batch for one API request."""

    batch_id: UUID
    timeout: float | None  # the batch's own, in seconds; None means WIKICHECK_TIMEOUT
    api_url: str  # "" for a page request
    rows: tuple[ClaimedRow, ...]


def results_claim(*, units: int, api_limit: int = TITLES_PER_REQUEST) -> list[Claim]:
    """Take up to `units` units of work from the queue in one transaction, fairly across owners:
    each unit goes to the owner with the fewest units in flight (those claimed here included),
    then to the batch whose next pending row has the lowest position. A unit is one page to
    request, or up to `api_limit` pending titles of one batch bound for the same API. Empty
    when the queue is.

    Reads only the running batches, the rows in flight and a few rows at the head of the
    batches chosen, each through an index: never the whole queue.
    """
    claimed: list[list[dict]] = []
    claimer = process_id()
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
        ).update(status=Result.Status.RUNNING, claimed_at=timezone.now(), claimed_by=claimer)
    return [_claim_of(unit, claimer=claimer) for unit in claimed]


def results_claim_ids(*, ids: Sequence[int]) -> Claim | None:
    """Claim the rows of one unit that are still pending. Rows being checked or already checked
    are left alone, so claiming the same rows twice checks them once. None when no row is left
    to claim.
    """
    claimer = process_id()
    claimable = _passing_over_locked(
        Result.objects.filter(pk__in=ids, status=Result.Status.PENDING)
    )
    with write_transaction():
        rows = list(claimable.order_by("position", "id").values(*CLAIM_FIELDS))
        Result.objects.filter(pk__in=[row["pk"] for row in rows]).update(
            status=Result.Status.RUNNING, claimed_at=timezone.now(), claimed_by=claimer
        )
    return _claim_of(rows, claimer=claimer) if rows else None


def _claim_of(rows: list[dict], *, claimer: UUID) -> Claim:
    first = rows[0]
    return Claim(
        batch_id=first["batch_id"],
        timeout=first["batch__timeout"],
        api_url=first["api_url"],
        rows=tuple(
            ClaimedRow(
                pk=row["pk"],
                batch_id=row["batch_id"],
                position=row["position"],
                url=row["url"],
                title=row["title"],
                claimer=claimer,
            )
            for row in rows
        ),
    )


def _passing_over_locked(rows):
    """`rows` read so that rows another transaction is claiming are passed over instead of
    waited for (where the database can); only the result rows are locked, not their batch."""
    if connection.features.has_select_for_update_skip_locked:
        return rows.select_for_update(skip_locked=True, of=("self",))
    return rows


def _claim_order(*, api_limit: int) -> ClaimOrder:
    """The running batches with rows left to claim, and each owner's units in flight.

    Two small reads, whatever the size of the queue: the running batches, whose counters say
    how many of their rows are done, and the rows in flight. A batch's rows are claimed in
    position order, so the rows it has started tell where its next pending row is. An API unit
    in flight counts as one, estimated as its rows divided by `api_limit`.
    """
    running = Batch.objects.filter(status=Batch.Status.RUNNING).order_by()
    # Read before the rows in flight: a row stored in between (by another thread or process)
    # is then missed by both reads, not counted twice, which would hide its batch's pending rows.
    batches = list(running.values_list("pk", "owner_id", "total", "done", "cancelled_count"))
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
        unit = _unit_from(
            rows, batch_id=batch_id, taken_pks=taken_pks, api_limit=api_limit, complete=complete
        )
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


def _unit_from(
    rows: list[dict], *, batch_id, taken_pks: set, api_limit: int, complete: bool
) -> list[dict]:
    """The unit at the head of a batch's pending rows: one page, or that row's API's titles."""
    first = rows[0]
    if not first["api_url"]:
        return [first]
    titles = [row for row in rows if row["api_url"] == first["api_url"]][:api_limit]
    if len(titles) < api_limit and not complete:
        # The rows read hold too few of this API's titles: read those alone.
        same_api = _pending_of(batch_id, taken_pks=taken_pks).filter(api_url=first["api_url"])
        titles = list(same_api.order_by("position").values(*CLAIM_FIELDS)[:api_limit])
    return titles
