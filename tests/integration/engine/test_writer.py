"""The writer thread (engine/writer.py): outcomes stored many to a transaction, stored again after
a failed transaction, and given back to the queue when they cannot be stored at all."""

import threading

import pytest
from django.db import OperationalError

from checks.engine import writer
from checks.engine.claims import results_claim
from checks.engine.outcomes import results_record
from checks.engine.writer import outcomes_submit
from tests.integration.engine.test_workqueue import make_batch, outcome


class FailingStore:
    """results_record() that fails its first `failures` calls as a lost connection would."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    def __call__(self, *, outcomes):
        self.calls += 1
        if self.calls <= self.failures:
            raise OperationalError("server closed the connection unexpectedly")
        return results_record(outcomes=outcomes)


@pytest.fixture
def no_pauses(monkeypatch):
    monkeypatch.setattr(writer, "STORE_RETRY_SECONDS", (0, 0, 0))


@pytest.mark.django_db(transaction=True)
def test_outcomes_are_stored_again_after_a_failed_transaction(monkeypatch, no_pauses):
    batch = make_batch(2)
    rows = [claim.rows[0] for claim in results_claim(units=2, api_limit=50)]
    store = FailingStore(failures=2)
    monkeypatch.setattr(writer, "results_record", store)

    outcomes_submit([(row, outcome()) for row in rows]).wait()

    batch.refresh_from_db()
    assert (batch.status, batch.done, batch.exists_count) == ("finished", 2, 2)
    assert store.calls == 3


@pytest.mark.django_db(transaction=True)
def test_outcomes_that_cannot_be_stored_go_back_to_the_queue(monkeypatch, no_pauses):
    batch = make_batch(2)
    rows = [claim.rows[0] for claim in results_claim(units=2, api_limit=50)]
    monkeypatch.setattr(writer, "results_record", FailingStore(failures=100))

    with pytest.raises(OperationalError):
        outcomes_submit([(row, outcome()) for row in rows]).wait()

    assert set(batch.results.values_list("status", flat=True)) == {"pending"}


@pytest.mark.django_db(transaction=True)
def test_a_waiter_learns_of_a_stored_round_without_waiting_out_its_timeout():
    make_batch(1)
    (claim,) = results_claim(units=1, api_limit=50)
    before = writer.stores_wait(after=-1, timeout=0)
    waited = {}
    waiter = threading.Thread(
        target=lambda: waited.update(stores=writer.stores_wait(after=before, timeout=60))
    )
    waiter.start()

    outcomes_submit([(claim.rows[0], outcome())]).wait()
    waiter.join(timeout=30)

    assert not waiter.is_alive()
    assert waited["stores"] > before


def test_a_waiter_with_nothing_stored_returns_at_its_timeout():
    before = writer.stores_wait(after=-1, timeout=0)

    assert writer.stores_wait(after=before, timeout=0.01) == before
