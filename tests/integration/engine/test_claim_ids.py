"""results_claim_ids: a Celery task claims the rows it names that still wait."""

import threading

import pytest
from django.db import connection, transaction

from checks.engine.claims import results_claim_ids
from checks.engine.heartbeat import process_id
from checks.models import Result
from tests.integration.engine.test_workqueue import make_batch


def ids_of(batch) -> list[int]:
    return list(batch.results.order_by("position").values_list("pk", flat=True))


@pytest.mark.django_db
def test_claiming_the_same_rows_twice_claims_them_once():
    batch = make_batch(3)

    first = results_claim_ids(ids=ids_of(batch))
    second = results_claim_ids(ids=ids_of(batch))

    assert [row.position for row in first.rows] == [0, 1, 2]
    assert second is None
    assert set(batch.results.values_list("status", "claimed_by")) == {("running", process_id())}


@pytest.mark.django_db
def test_only_the_pending_rows_among_the_ids_are_claimed():
    batch = make_batch(4)
    ids = ids_of(batch)
    Result.objects.filter(pk=ids[0]).update(status=Result.Status.EXISTS)
    Result.objects.filter(pk=ids[1]).update(status=Result.Status.RUNNING)

    claim = results_claim_ids(ids=ids)

    assert [row.pk for row in claim.rows] == ids[2:]


@pytest.mark.django_db
def test_a_claim_of_ids_has_its_rows_in_submission_order_and_its_batchs_timeout():
    batch = make_batch(3)
    batch.timeout = 2.5
    batch.save()

    claim = results_claim_ids(ids=list(reversed(ids_of(batch))))

    assert (claim.batch_id, claim.timeout, claim.api_url) == (batch.pk, 2.5, "")
    assert [(row.position, row.title) for row in claim.rows] == [(0, "P0"), (1, "P1"), (2, "P2")]
    assert {row.batch_id for row in claim.rows} == {batch.pk}


@pytest.mark.django_db(transaction=True)
def test_tasks_naming_the_same_rows_at_once_claim_each_row_once():
    batch = make_batch(40)
    ids = ids_of(batch)
    claimed: list[int] = []
    claimed_lock = threading.Lock()

    def task():
        try:
            for pk in ids:
                if claim := results_claim_ids(ids=[pk]):
                    with claimed_lock:
                        claimed.extend(row.pk for row in claim.rows)
        finally:
            connection.close()

    threads = [threading.Thread(target=task) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(claimed) == ids


@pytest.mark.skipif(
    not connection.features.has_select_for_update_skip_locked, reason="PostgreSQL's SKIP LOCKED"
)
@pytest.mark.django_db(transaction=True)
def test_rows_another_transaction_holds_are_passed_over_not_waited_for():
    batch = make_batch(3)
    ids = ids_of(batch)
    locked, claimed = threading.Event(), threading.Event()

    def hold_first_row():
        try:
            with transaction.atomic():
                Result.objects.select_for_update().filter(pk=ids[0]).exists()
                locked.set()
                # Held until the claim is done; a claim that waited would get the row after this.
                claimed.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_first_row)
    holder.start()
    locked.wait(timeout=30)
    claim = results_claim_ids(ids=ids)
    claimed.set()
    holder.join(timeout=30)

    assert [row.pk for row in claim.rows] == ids[1:]
    assert Result.objects.get(pk=ids[0]).status == Result.Status.PENDING
