"""Waiting for a batch the pool checks, with a deadline."""

from checks.models import Batch
from tests.support.processes import wait_until


def batch_settled(batch: Batch, *, timeout: float = 30) -> Batch:
    """`batch`, refreshed, once nothing will change in it any more."""

    def settled() -> bool:
        batch.refresh_from_db()
        return batch.is_settled

    wait_until(settled, timeout=timeout)
    return batch
