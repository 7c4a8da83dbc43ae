"""Storing the outcomes of claimed rows: each row's fields and its batch's counters, in one
transaction."""

from collections import Counter
from collections.abc import Sequence
from uuid import UUID

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.utils import timezone

from checks.engine.claims import ClaimedRow
from checks.engine.workqueue import OUTCOME_FIELDS, table_sql, write_transaction
from checks.models import COUNTER_FIELDS, Batch, CheckProcess, Result
from checks.probe.outcome import Outcome

# What storing an outcome writes on its row, in the order _rows_write() takes the values.
RECORDED_FIELDS = (
    "status",
    *OUTCOME_FIELDS,
    "claimed_by",  # None: the row is no longer held
    "completion_order",
)


def outcome_counts(*, statuses: Sequence[str], outcomes: Sequence[Outcome]) -> dict[str, int]:
    """What rows settled with `statuses` add to their batch's counters, `outcomes` being those
    of them that have one (a title refused before any check has none)."""
    return {
        "done": len(statuses),
        **Counter(COUNTER_FIELDS[status] for status in statuses),
        "redirect_count": sum(1 for outcome in outcomes if outcome.redirect_target),
        "disambiguation_count": sum(1 for outcome in outcomes if outcome.disambiguation),
        "checked_ms": sum(outcome.elapsed_ms for outcome in outcomes),
    }


def results_record(*, outcomes: Sequence[tuple[ClaimedRow, Outcome]]) -> int:
    """Store the outcomes of claimed rows, and bump their batches' counters, in one transaction.

    Rows no longer held by the process that claimed them (given back because it was taken for
    dead, or cancelled meanwhile) are skipped: whoever holds them now stores them. Returns how
    many were stored.

    The writer runs this for every round of outcomes, so its statements are written in SQL:
    built through the ORM, the batch's counters alone cost more CPU than the rows.
    """
    if not outcomes:
        return 0
    with write_transaction():
        held = _rows_held(pks=[row.pk for row, _ in outcomes])
        by_batch: dict = {}
        for row, outcome in outcomes:
            if held.get(row.pk) == row.claimer:
                by_batch.setdefault(row.batch_id, []).append((row, outcome))
        values = []
        for batch_id, stored in by_batch.items():
            first = _batch_count(batch_id=batch_id, outcomes=[o for _, o in stored])
            if first is not None:
                values += [
                    (*_recorded(outcome), None, order, row.pk)
                    for order, (row, outcome) in enumerate(stored, start=first)
                ]
        if values:
            _rows_write(values)
    return len(values)


def _rows_held(*, pks: list[int]) -> dict[int, UUID]:
    """The claimer of each of the rows `pks` that is still running. Locked until the outcomes
    are written (PostgreSQL; SQLite's write lock is already ours): a row given back and claimed
    again meanwhile would otherwise be counted twice."""
    sql = (
        f"SELECT id, claimed_by_id FROM {table_sql(Result)} "
        f"WHERE id IN ({', '.join(['%s'] * len(pks))}) AND status = %s"
    )
    if connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*pks, Result.Status.RUNNING.value])
        rows = cursor.fetchall()
    # Each claimer made a UUID once: the rows of a round have one or two between them.
    claimers = {claimer: _PROCESS_ID(claimer) for claimer in {claimer for _, claimer in rows}}
    return {pk: claimers[claimer] for pk, claimer in rows}


def _recorded(outcome: Outcome) -> tuple:
    """An outcome's values for RECORDED_FIELDS, but the claimer and the completion order."""
    return (
        Result.Status(outcome.verdict).value,
        *(getattr(outcome, field) for field in OUTCOME_FIELDS),
    )


def _batch_count(*, batch_id, outcomes: Sequence[Outcome]) -> int | None:
    """Add outcomes to a batch's counters; returns the completion order of the first of them,
    or None when the batch was deleted meanwhile (its rows are gone too).

    One UPDATE ... RETURNING: the update that stores the last results finishes the batch (SET
    reads the old row). Updating the batch first takes its row lock, so completion orders
    follow commit order.
    """
    counts = outcome_counts(statuses=[outcome.verdict for outcome in outcomes], outcomes=outcomes)
    quote = connection.ops.quote_name
    finishing = "status = %s AND done = total - %s"
    assignments = [
        f"status = CASE WHEN {finishing} THEN %s ELSE status END",
        f"finished_at = CASE WHEN {finishing} THEN %s ELSE finished_at END",
        *(f"{quote(_COLUMNS[name])} = {quote(_COLUMNS[name])} + %s" for name in counts),
    ]
    running, finished = Batch.Status.RUNNING.value, Batch.Status.FINISHED.value
    now = _FINISHED_AT.get_db_prep_save(timezone.now(), connection)
    sql = f"UPDATE {table_sql(Batch)} SET {', '.join(assignments)} WHERE id = %s RETURNING done"
    params = [
        *(running, len(outcomes), finished),
        *(running, len(outcomes), now),
        *counts.values(),
        Batch._meta.pk.get_db_prep_value(batch_id, connection),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        updated = cursor.fetchone()
    return None if updated is None else updated[0] - len(outcomes) + 1


def _rows_write(values: list[tuple]) -> None:
    """One UPDATE statement run for every row (executemany): an API chunk stores 50 outcomes,
    and 50 ORM updates would hold the write lock longer than the request took."""
    fields = [Result._meta.get_field(name) for name in RECORDED_FIELDS]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    sql = f"UPDATE {table_sql(Result)} SET {assignments} WHERE {quote('id')} = %s"
    # Only the times need preparing; strings, numbers, booleans and None go as they are. Each
    # time once: an API unit's 50 rows share their checked_at, and preparing one took longer
    # than SQLite took to write its row.
    times = [i for i, field in enumerate(fields) if isinstance(field, models.DateTimeField)]
    db = connections[DEFAULT_DB_ALIAS]
    prepared: dict = {None: None}
    adapted = []
    for row in values:
        row = list(row)
        for i in times:
            value = row[i]
            if value not in prepared:
                prepared[value] = fields[i].get_db_prep_save(value, db)
            row[i] = prepared[value]
        adapted.append(row)
    with connection.cursor() as cursor:
        cursor.executemany(sql, adapted)


_COLUMNS = {field.name: field.column for field in Batch._meta.concrete_fields}
_FINISHED_AT = Batch._meta.get_field("finished_at")
_PROCESS_ID = CheckProcess._meta.pk.to_python
