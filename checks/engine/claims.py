"""Claiming work from the database queue: pending rows become a worker's `Claim`, fairly across
owners, and marked running in the same short transaction."""

from collections import Counter
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import NamedTuple
from uuid import UUID

from django.db import connection
from django.utils import timezone

from checks.engine import claim_sql
from checks.engine.claim_order import ClaimOrder
from checks.engine.heartbeat import process_id
from checks.engine.workqueue import write_transaction
from checks.probe.mediawiki import TITLES_PER_REQUEST

# What a worker needs of a row it claims.
CLAIM_FIELDS = ("pk", "batch_id", "position", "url", "title", "api_url", "batch__timeout")


class ClaimedRow(NamedTuple):
    """A row a worker holds: where to look, and which row its outcome goes to."""

    # A tuple rather than a frozen dataclass, whose __init__ sets each field through
    # object.__setattr__: a claim of API units makes hundreds.
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
    batches chosen, each through an index: never the whole queue. The statements are
    engine/claim_sql.py's.
    """
    claimed: list[list[dict]] = []
    claimer = process_id()
    with write_transaction():
        order, timeouts = _claim_order(api_limit=api_limit)
        read_ahead: dict = {}  # batch -> its pending rows read, whether that is all, rows taken
        while len(claimed) < units and (batch_id := order.next_batch()) is not None:
            taken = _batch_units(
                batch_id,
                timeout=timeouts[batch_id],
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
        claim_sql.rows_mark_running(
            pks=[row["pk"] for unit in claimed for row in unit], claimer=claimer, now=timezone.now()
        )
    return [_claim_of(unit, claimer=claimer) for unit in claimed]


def results_claim_ids(*, ids: Sequence[int]) -> Claim | None:
    """Claim the rows of one unit that are still pending, in one statement. Rows being checked or
    already checked are left alone, so claiming the same rows twice checks them once; on
    PostgreSQL, rows another transaction is claiming or storing are passed over, not waited for.
    None when no row is left to claim.
    """
    claimer = process_id()
    # A Celery task claims each page it checks: one statement, where reading the rows and then
    # marking them took four round trips, each of which a worker's eight threads queue on.
    with _one_statement():
        rows = claim_sql.rows_claim_ids(ids=ids, claimer=claimer, now=timezone.now())
    rows.sort(key=lambda row: (row["position"], row["pk"]))
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


def _claim_order(*, api_limit: int) -> tuple[ClaimOrder, dict[UUID, float | None]]:
    """The running batches with rows left to claim, each owner's units in flight, and each
    batch's timeout.

    Two small reads, whatever the size of the queue: the running batches, whose counters say
    how many of their rows are done, and the rows in flight. A batch's rows are claimed in
    position order, so the rows it has started tell where its next pending row is. An API unit
    in flight counts as one, estimated as its rows divided by `api_limit`.
    """
    # Read before the rows in flight: a row stored in between (by another thread or process)
    # is then missed by both reads, not counted twice, which would hide its batch's pending rows.
    batches = claim_sql.running_batches()
    in_flight_rows = claim_sql.rows_in_flight()
    started: Counter = Counter()
    units: Counter = Counter()
    for (batch_id, api_url), rows in in_flight_rows.items():
        started[batch_id] += rows
        units[batch_id] += -(-rows // api_limit) if api_url else rows
    heads, owners, timeouts = {}, {}, {}
    in_flight: Counter = Counter()
    for batch_id, owner_id, total, done, cancelled, timeout in batches:
        owners[batch_id] = owner_id
        timeouts[batch_id] = timeout
        in_flight[owner_id] += units[batch_id]
        if done + cancelled + started[batch_id] < total:
            heads[batch_id] = done + cancelled + started[batch_id]
    return ClaimOrder(heads=heads, owners=owners, in_flight=in_flight), timeouts


def _batch_units(
    batch_id,
    *,
    timeout: float | None,
    order: ClaimOrder,
    read_ahead: dict,
    units: int,
    api_limit: int,
) -> list[list[dict]]:
    """Units from the head of one batch while it keeps its turn (at most `units`)."""
    rows, complete, taken_pks = read_ahead.get(batch_id) or ([], False, set())
    if not rows:
        # Positions are unique within a batch: the index gives this order, with or without
        # the planner's statistics (PostgreSQL sorted the whole batch to add "id"). The rows
        # this claim took already are marked running only once the claim is done.
        rows = claim_sql.pending_rows(
            batch_id=batch_id, timeout=timeout, limit=units, passed=taken_pks
        )
        complete = len(rows) < units
    taken = []
    while rows and len(taken) < units:
        unit, further = _unit_from(
            rows,
            batch_id=batch_id,
            timeout=timeout,
            taken_pks=taken_pks,
            api_limit=api_limit,
            units=units - len(taken),
            complete=complete,
        )
        unit_pks = {row["pk"] for row in unit}
        taken_pks |= unit_pks
        rows = [row for row in rows if row["pk"] not in unit_pks]
        if further:
            # The next titles of the unit's API, for the units after it: with the rows read
            # before, in position order (between them may lie rows not read, of other APIs,
            # which the next unit of another API reads for itself, as `complete` is False).
            read = {row["pk"] for row in rows}
            rows += [row for row in further if row["pk"] not in read]
            rows.sort(key=lambda row: row["position"])
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


def _unit_from(
    rows: list[dict],
    *,
    batch_id,
    timeout: float | None,
    taken_pks: set,
    api_limit: int,
    units: int,
    complete: bool,
) -> tuple[list[dict], list[dict]]:
    """The unit at the head of a batch's pending rows: one page, or that row's API's titles;
    and the further titles of that API read for it, for the claim's next units."""
    first = rows[0]
    if not first["api_url"]:
        return [first], []
    titles = [row for row in rows if row["api_url"] == first["api_url"]][:api_limit]
    if len(titles) < api_limit and not complete:
        # The rows read hold too few of this API's titles: read those alone, for every unit
        # the claim may still take at once (a read per unit, each passing over the rows taken
        # before it, made a claim of 8 API units nine statements).
        titles = claim_sql.pending_rows(
            batch_id=batch_id,
            timeout=timeout,
            limit=api_limit * units,
            passed=taken_pks,
            api_url=first["api_url"],
        )
    return titles[:api_limit], titles[api_limit:]


def _one_statement():
    """Where a single statement runs: on its own on PostgreSQL, where it is a transaction already
    (BEGIN and COMMIT would be two round trips more); on SQLite inside write_transaction(), so
    that this process's writers queue on its lock rather than on SQLite's busy timeout."""
    return write_transaction() if connection.vendor == "sqlite" else nullcontext()
