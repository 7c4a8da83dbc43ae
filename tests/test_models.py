import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from checks.checker import Outcome, Verdict
from checks.models import (
    Batch,
    Result,
    batch_cancel_rows,
    result_claim_next,
    result_record,
    results_recover_stale,
)


def outcome(verdict: Verdict = Verdict.EXISTS, http_status: int | None = 200) -> Outcome:
    return Outcome(
        verdict=verdict,
        http_status=http_status,
        error="",
        elapsed_ms=12,
        checked_at=datetime.now(UTC),
    )


def make_batch(size: int, *, username: str = "models-owner") -> Batch:
    owner, _ = get_user_model().objects.get_or_create(username=username)
    batch = Batch.objects.create(owner=owner, wiki="https://en.wikipedia.org/wiki/", total=size)
    Result.objects.bulk_create(
        Result(batch=batch, position=n, url=f"https://en.wikipedia.org/wiki/P{n}", title=f"P{n}")
        for n in range(size)
    )
    return batch


@pytest.mark.django_db
def test_claim_takes_pending_rows_in_submission_order_and_marks_them_running():
    batch = make_batch(2)

    first = result_claim_next()
    second = result_claim_next()
    third = result_claim_next()

    assert [first.position, second.position] == [0, 1]
    assert third is None
    assert set(batch.results.values_list("status", flat=True)) == {"running"}
    assert all(r.claimed_at is not None for r in batch.results.all())


@pytest.mark.django_db
def test_batch_stays_running_until_its_last_result_is_stored():
    batch = make_batch(2)

    result_record(result=result_claim_next(), outcome=outcome())
    batch.refresh_from_db()
    status_after_one = batch.status
    result_record(result=result_claim_next(), outcome=outcome(Verdict.MISSING, http_status=404))
    batch.refresh_from_db()

    assert status_after_one == Batch.Status.RUNNING
    assert batch.status == Batch.Status.FINISHED
    assert (batch.done, batch.exists_count, batch.missing_count) == (2, 1, 1)
    assert batch.finished_at is not None


@pytest.mark.django_db
def test_recording_a_row_that_is_no_longer_running_stores_nothing():
    batch = make_batch(1)
    result = result_claim_next()
    Result.objects.filter(pk=result.pk).update(status=Result.Status.PENDING)

    stored = result_record(result=result, outcome=outcome())

    batch.refresh_from_db()
    assert stored is False
    assert batch.done == 0
    assert batch.results.get().status == Result.Status.PENDING


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_and_records_finish_the_batch_exactly_once():
    batch = make_batch(300)
    claimed: list[int] = []
    claimed_lock = threading.Lock()

    def work():
        try:
            while (result := result_claim_next()) is not None:
                with claimed_lock:
                    claimed.append(result.pk)
                result_record(result=result, outcome=outcome())
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    batch.refresh_from_db()
    assert len(claimed) == len(set(claimed)) == 300
    assert (batch.status, batch.done, batch.exists_count) == ("finished", 300, 300)
    assert sorted(batch.results.values_list("completion_order", flat=True)) == list(range(1, 301))


@pytest.mark.django_db
def test_rows_claimed_longer_than_the_lease_go_back_to_the_queue():
    batch = make_batch(3)
    stale, fresh = result_claim_next(), result_claim_next()
    Result.objects.filter(pk=stale.pk).update(claimed_at=timezone.now() - timedelta(seconds=61))

    requeued = results_recover_stale(lease_seconds=60)

    assert requeued == 1
    assert dict(batch.results.values_list("pk", "status")) == {
        stale.pk: "pending",
        fresh.pk: "running",
        batch.results.get(position=2).pk: "pending",
    }


@pytest.mark.django_db
def test_stale_rows_of_a_cancelled_batch_are_counted_as_not_checked():
    batch = make_batch(2)
    stale = result_claim_next()
    Result.objects.filter(pk=stale.pk).update(claimed_at=timezone.now() - timedelta(seconds=61))
    batch_cancel_rows(batch_id=batch.pk)

    requeued = results_recover_stale(lease_seconds=60)

    batch.refresh_from_db()
    assert requeued == 0
    assert set(batch.results.values_list("status", flat=True)) == {"cancelled"}
    assert (batch.cancelled_count, batch.pending_count, batch.is_settled) == (2, 0, True)
