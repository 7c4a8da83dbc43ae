import threading
from collections import Counter
from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from checks.engine import workqueue
from checks.engine.claims import Claim, ClaimedRow, results_claim
from checks.engine.heartbeat import process_id
from checks.engine.outcomes import results_record
from checks.engine.workqueue import NewRow, batch_cancel_rows, results_insert, results_release
from checks.models import Batch, Result
from checks.probe.outcome import Outcome, Verdict


def outcome(verdict: Verdict = Verdict.EXISTS, http_status: int | None = 200) -> Outcome:
    return Outcome(
        verdict=verdict,
        http_status=http_status,
        error="",
        elapsed_ms=12,
        checked_at=datetime.now(UTC),
    )


def make_batch(size: int, *, username: str = "queue-owner", api_urls=("",)) -> Batch:
    """A batch of `size` pending rows, bound in turn for each of `api_urls` ("" = page mode)."""
    owner, _ = get_user_model().objects.get_or_create(username=username)
    batch = Batch.objects.create(owner=owner, wiki="https://en.wikipedia.org/wiki/", total=size)
    Result.objects.bulk_create(
        Result(
            batch=batch,
            position=n,
            url=f"https://en.wikipedia.org/wiki/P{n}",
            title=f"P{n}",
            api_url=api_urls[n % len(api_urls)],
        )
        for n in range(size)
    )
    return batch


def claim_one() -> ClaimedRow | None:
    """The next page row."""
    claims = results_claim(units=1, api_limit=50)
    return claims[0].rows[0] if claims else None


def positions(claim: Claim) -> list[int]:
    return [row.position for row in claim.rows]


def record_one(row: ClaimedRow, outcome: Outcome) -> int:
    return results_record(outcomes=[(row, outcome)])


@pytest.mark.django_db
def test_claim_takes_pending_rows_in_submission_order_and_marks_them_running():
    batch = make_batch(2)

    first = claim_one()
    second = claim_one()
    third = claim_one()

    assert [first.position, second.position] == [0, 1]
    assert third is None
    assert set(batch.results.values_list("status", flat=True)) == {"running"}
    assert all(r.claimed_at is not None for r in batch.results.all())


@pytest.mark.django_db
def test_batch_stays_running_until_its_last_result_is_stored():
    batch = make_batch(2)

    record_one(claim_one(), outcome())
    batch.refresh_from_db()
    status_after_one = batch.status
    record_one(claim_one(), outcome(Verdict.MISSING, http_status=404))
    batch.refresh_from_db()

    assert status_after_one == Batch.Status.RUNNING
    assert batch.status == Batch.Status.FINISHED
    assert (batch.done, batch.exists_count, batch.missing_count) == (2, 1, 1)
    assert batch.finished_at is not None


@pytest.mark.django_db
def test_recording_a_row_that_is_no_longer_running_stores_nothing():
    batch = make_batch(1)
    result = claim_one()
    Result.objects.filter(pk=result.pk).update(status=Result.Status.PENDING)

    stored = record_one(result, outcome())

    batch.refresh_from_db()
    assert stored == 0
    assert batch.done == 0
    assert batch.results.get().status == Result.Status.PENDING


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_and_records_finish_the_batch_exactly_once():
    batch = make_batch(300)
    claimed: list[int] = []
    claimed_lock = threading.Lock()

    def work():
        try:
            while claims := results_claim(units=4, api_limit=50):
                rows = [row for claim in claims for row in claim.rows]
                with claimed_lock:
                    claimed.extend(row.pk for row in rows)
                results_record(outcomes=[(row, outcome()) for row in rows])
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
def test_api_rows_are_claimed_together_per_batch_and_api():
    en, de = "https://en.wikipedia.org/w/api.php", "https://de.wikipedia.org/w/api.php"
    batch = make_batch(7, api_urls=(en, de))

    (first,) = results_claim(units=1, api_limit=3)
    (second,) = results_claim(units=1, api_limit=3)
    (third,) = results_claim(units=1, api_limit=3)

    assert (first.api_url, positions(first)) == (en, [0, 2, 4])
    assert (second.api_url, positions(second)) == (de, [1, 3, 5])
    assert (third.api_url, positions(third)) == (en, [6])
    assert not batch.results.filter(status="pending").exists()


@pytest.mark.django_db
def test_a_chunk_is_stored_in_claim_order_with_counters_and_redirects():
    api = "https://en.wikipedia.org/w/api.php"
    batch = make_batch(3, api_urls=(api,))
    (claim,) = results_claim(units=1, api_limit=50)
    rows = claim.rows
    found = Outcome(
        verdict=Verdict.EXISTS,
        http_status=200,
        error="",
        elapsed_ms=4,
        checked_at=datetime.now(UTC),
        redirect_target="Seawater",
        normalized_title="Sea water",
    )

    stored = results_record(
        outcomes=[(rows[0], found), (rows[1], outcome(Verdict.MISSING)), (rows[2], found)]
    )

    batch.refresh_from_db()
    assert stored == 3
    assert (batch.status, batch.exists_count, batch.missing_count, batch.redirect_count) == (
        "finished",
        2,
        1,
        2,
    )
    assert list(batch.results.values_list("completion_order", "redirect_target")) == [
        (1, "Seawater"),
        (2, ""),
        (3, "Seawater"),
    ]


@pytest.mark.django_db
def test_page_rows_are_claimed_one_unit_each_in_queue_order():
    make_batch(10)

    claims = results_claim(units=4, api_limit=50)

    assert [positions(claim) for claim in claims] == [[0], [1], [2], [3]]


@pytest.mark.django_db
def test_a_claim_gathers_page_units_up_to_the_first_api_row():
    api = "https://en.wikipedia.org/w/api.php"
    make_batch(6, api_urls=("", "", api))

    first = results_claim(units=10, api_limit=50)
    second = results_claim(units=10, api_limit=50)

    assert [positions(claim) for claim in first][:2] == [[0], [1]]
    assert [row.position for claim in first + second for row in claim.rows] == [0, 1, 2, 5, 3, 4]


@pytest.mark.django_db
def test_a_claim_carries_the_batchs_own_timeout():
    batch = make_batch(1)
    Batch.objects.filter(pk=batch.pk).update(timeout=2.5)

    (claim,) = results_claim(units=1, api_limit=50)

    assert (claim.batch_id, claim.timeout, claim.api_url) == (batch.pk, 2.5, "")


@pytest.mark.django_db
def test_released_rows_go_back_to_the_queue():
    batch = make_batch(100)
    rows = [claim.rows[0] for claim in results_claim(units=10, api_limit=50)]

    requeued = results_release(rows=rows[3:])

    assert requeued == 7
    assert batch.results.filter(status="running").count() == 3
    assert batch.results.filter(status="pending").count() == 97


@pytest.mark.django_db
def test_rows_released_after_their_batch_was_cancelled_are_counted_as_not_checked():
    batch = make_batch(4)
    rows = [claim.rows[0] for claim in results_claim(units=2, api_limit=50)]
    batch_cancel_rows(batch_id=batch.pk)

    requeued = results_release(rows=rows)

    batch.refresh_from_db()
    assert requeued == 0
    assert set(batch.results.values_list("status", flat=True)) == {"cancelled"}
    assert (batch.cancelled_count, batch.is_settled) == (4, True)


# --- Fair shares between owners ------------------------------------------------------------------


def owners_of(claims: list[Claim]) -> Counter:
    batch_owners = dict(Batch.objects.values_list("pk", "owner__username"))
    return Counter(batch_owners[claim.batch_id] for claim in claims)


@pytest.mark.django_db
def test_each_owner_gets_an_equal_share_of_a_claim_however_many_batches_they_queued():
    for _ in range(10):
        make_batch(20, username="flooder")
    make_batch(20, username="small")

    units = results_claim(units=8, api_limit=50)

    assert owners_of(units) == {"flooder": 4, "small": 4}


@pytest.mark.django_db
def test_the_next_units_go_to_the_owner_with_the_fewest_in_flight():
    make_batch(20, username="flooder")
    make_batch(20, username="flooder")
    results_claim(units=6, api_limit=50)
    make_batch(20, username="small")

    catching_up = results_claim(units=6, api_limit=50)
    even = results_claim(units=2, api_limit=50)

    assert owners_of(catching_up) == {"small": 6}
    assert owners_of(even) == {"flooder": 1, "small": 1}


@pytest.mark.django_db
def test_an_api_unit_in_flight_counts_as_one_unit_of_its_owner():
    api = "https://en.wikipedia.org/w/api.php"
    make_batch(100, username="titles", api_urls=(api,))
    results_claim(units=1, api_limit=50)
    make_batch(20, username="pages")

    units = results_claim(units=3, api_limit=50)

    assert owners_of(units) == {"pages": 2, "titles": 1}


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query plans")
def test_a_claim_reads_the_queue_through_indexes_only():
    for _ in range(3):
        make_batch(50, username="flooder")
    make_batch(50, username="small")
    process_id()  # registered before, as a process is before its feeder's first claim

    with CaptureQueriesContext(connection) as queries:
        results_claim(units=8, api_limit=50)

    plans = []
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            if query["sql"].startswith("SELECT"):
                cursor.execute("EXPLAIN QUERY PLAN " + query["sql"])
                plans += [row[-1] for row in cursor.fetchall()]
    scans = [step for step in plans if step.startswith("SCAN checks_result")]
    assert scans == ["SCAN checks_result USING INDEX result_running_claims"]
    assert not [step for step in plans if "TEMP B-TREE" in step]


@pytest.mark.django_db
def test_one_claim_never_hands_out_a_row_twice():
    api = "https://en.wikipedia.org/w/api.php"
    make_batch(20, api_urls=(api, ""))

    claims = results_claim(units=8, api_limit=3)

    claimed = [row.position for claim in claims for row in claim.rows]
    assert len(claimed) == len(set(claimed))
    assert positions(claims[0]) == [0, 2, 4]


@pytest.mark.django_db
def test_rows_inserted_in_several_statements_keep_their_order(monkeypatch):
    monkeypatch.setattr(workqueue, "INSERT_CHUNK", 2)
    batch = make_batch(0)
    rows = [
        NewRow(f"https://en.wikipedia.org/wiki/P{n}", f"P{n}", "")
        if n != 2
        else NewRow("https://en.wikipedia.org/wiki/A|B", "A|B", "", "invalid", "Bad title.")
        for n in range(5)
    ]

    results_insert(batch_id=batch.pk, rows=iter(rows))

    stored = batch.results.order_by("position").values_list(
        "position", "title", "status", "completion_order"
    )
    assert list(stored) == [
        (0, "P0", "pending", None),
        (1, "P1", "pending", None),
        (2, "A|B", "invalid", 1),
        (3, "P3", "pending", None),
        (4, "P4", "pending", None),
    ]


@pytest.mark.django_db
def test_a_claim_of_api_units_reads_their_titles_at_once():
    api = "https://en.wikipedia.org/w/api.php"
    make_batch(400, api_urls=(api,))
    process_id()

    with CaptureQueriesContext(connection) as queries:
        claims = results_claim(units=8, api_limit=50)

    assert [positions(claim) for claim in claims] == [
        list(range(start, start + 50)) for start in range(0, 400, 50)
    ]
    # The head of the batch, then its API's titles for all 8 units: a read per unit, each
    # passing over the rows taken before it, made nine.
    row_reads = [
        query
        for query in queries.captured_queries
        if query["sql"].startswith("SELECT id, position")
    ]
    assert len(row_reads) == 2
