"""Waiting for a list's run in the watch tests."""

from tests.support.batches import batch_settled as run_finished

__all__ = ["run_finished"]
