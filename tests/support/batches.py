"""Batches made for a test: settled through the ORM, or waited for with a deadline."""

from checks.engine.workqueue import results_insert
from checks.models import COUNTER_FIELDS, Batch, Result
from tests.support.processes import wait_until


def batch_settled(batch: Batch, *, timeout: float = 30) -> Batch:
    """`batch`, refreshed, once nothing will change in it any more."""

    def settled() -> bool:
        batch.refresh_from_db()
        return batch.is_settled

    wait_until(settled, timeout=timeout)
    return batch


def batch_of(user, *, statuses: list[str], **fields) -> Batch:
    """A batch made through the ORM: one result per status, completed in reverse submission
    order (pending and cancelled ones not completed), with its counters to match."""
    counters = {field: statuses.count(status) for status, field in COUNTER_FIELDS.items()}
    batch = Batch.objects.create(
        owner=user,
        wiki="https://en.wikipedia.org/wiki/",
        total=len(statuses),
        done=sum(counters.values()),
        cancelled_count=statuses.count("cancelled"),
        **counters,
        **fields,
    )
    results_insert(
        batch_id=batch.pk,
        rows=((f"https://en.wikipedia.org/wiki/T{n}", f"T{n}", "") for n in range(len(statuses))),
    )
    completed = len(statuses)
    for position, status in enumerate(statuses):
        order = completed - position if status in Result.CHECKED_STATUSES else None
        batch.results.filter(position=position).update(status=status, completion_order=order)
    return batch
