"""Storing the outcomes of claimed rows: each row's fields and its batch's counters, in one
transaction."""

from collections import Counter
from collections.abc import Sequence

from django.db import connection
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from checks.engine.claims import ClaimedRow
from checks.engine.workqueue import OUTCOME_FIELDS, write_transaction
from checks.models import COUNTER_FIELDS, Batch, Result
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
    """
    if not outcomes:
        return 0
    with write_transaction():
        # Locked until the outcomes are written (PostgreSQL; SQLite's write lock is already
        # ours): a row given back and claimed again meanwhile would otherwise be counted twice.
        held = set(
            Result.objects.filter(
                pk__in=[row.pk for row, _ in outcomes], status=Result.Status.RUNNING
            )
            .select_for_update(of=("self",))
            .values_list("pk", "claimed_by_id")
        )
        by_batch: dict = {}
        for row, outcome in outcomes:
            if (row.pk, row.claimer) in held:
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


def _recorded(outcome: Outcome) -> tuple:
    """An outcome's values for RECORDED_FIELDS, but the claimer and the completion order."""
    return (
        Result.Status(outcome.verdict).value,
        *(getattr(outcome, field) for field in OUTCOME_FIELDS),
    )


def _batch_count(*, batch_id, outcomes: Sequence[Outcome]) -> int | None:
    """Add outcomes to a batch's counters; returns the completion order of the first of them,
    or None when the batch was deleted meanwhile (its rows are gone too)."""
    batch_rows = Batch.objects.filter(pk=batch_id)
    counts = outcome_counts(statuses=[outcome.verdict for outcome in outcomes], outcomes=outcomes)
    # The update that stores the last results finishes the batch (SET reads the old row).
    finishing = Q(status=Batch.Status.RUNNING, done=F("total") - len(outcomes))
    # Updating the batch first takes its row lock, so completion orders follow commit order.
    updated = batch_rows.update(
        status=Case(When(finishing, then=Value(Batch.Status.FINISHED)), default=F("status")),
        finished_at=Case(When(finishing, then=Value(timezone.now())), default=F("finished_at")),
        **{field: F(field) + n for field, n in counts.items()},
    )
    if not updated:
        return None
    return batch_rows.values_list("done", flat=True).get() - len(outcomes) + 1


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
