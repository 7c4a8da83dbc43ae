"""The Celery backend's tasks, run in this process against the fake wiki and a real Redis broker.

Real worker processes, several of them and killed mid-batch, are in test_celery.py.
"""

import logging
from datetime import timedelta

import pytest
import redis
from django.contrib.auth import get_user_model
from django.utils import timezone

from checks.batches import batch_cancel, batch_create
from checks.engine import units
from checks.engine.backends.celery import (
    CHUNKS_PER_PRIORITY,
    chunk_check,
    chunks_of,
    pending_republish,
    queue_length,
)
from checks.intake.parsing import Entry
from checks.models import Batch, SavedList
from checks.probe.page import page_check
from checks.watch.lists import list_save
from fakewiki.unreachable import free_port
from tests.support import broker_use, wait_until
from wikicheck_site.celery import app as celery_app


@pytest.fixture(autouse=True)
def _celery_backend(celery_broker):
    """Batches created here go to the broker, not to this process's pool."""


@pytest.fixture
def owner(db):
    return get_user_model().objects.create_user(username="task-owner")


def pages(fake_wiki, titles: list[str]) -> list[Entry]:
    return [
        Entry(url=fake_wiki.wiki_url + title.replace(" ", "_"), title=title) for title in titles
    ]


def page_batch(owner, fake_wiki, titles: list[str]) -> Batch:
    return batch_create(
        owner=owner, entries=pages(fake_wiki, titles), wiki=fake_wiki.wiki_url, mode="page"
    )


def ids_of(batch: Batch) -> list[int]:
    return list(batch.results.order_by("position").values_list("pk", flat=True))


def statuses(batch: Batch) -> dict[str, str]:
    return dict(batch.results.values_list("title", "status"))


@pytest.mark.django_db
def test_pages_go_out_in_chunks_of_the_configured_size(owner, fake_wiki, settings):
    settings.WIKICHECK_CHUNK_PAGES = 8
    batch = page_batch(owner, fake_wiki, [f"Page {n}" for n in range(20)])

    chunks = list(chunks_of(batch.results.all()))

    assert [(len(ids), api) for ids, api in chunks] == [(8, False), (8, False), (4, False)]
    assert [pk for ids, _ in chunks for pk in ids] == ids_of(batch)


@pytest.mark.django_db
def test_titles_bound_for_an_api_go_out_fifty_to_a_chunk(owner, fake_wiki, settings):
    settings.WIKICHECK_API_PATHS = [(f"127.0.0.1:{fake_wiki.port}", "/w/api.php")]
    batch = batch_create(
        owner=owner,
        entries=pages(fake_wiki, [f"Title {n}" for n in range(120)]),
        wiki=fake_wiki.wiki_url,
        mode="api",
    )

    chunks = list(chunks_of(batch.results.all()))

    assert [(len(ids), api) for ids, api in chunks] == [(50, True), (50, True), (20, True)]


@pytest.mark.django_db(transaction=True)
def test_a_chunk_checks_its_pages_and_finishes_the_batch(owner, fake_wiki):
    batch = page_batch(owner, fake_wiki, ["Ocean", "Missing page", "Forest"])

    stored = chunk_check(result_ids=ids_of(batch), api=False)

    batch.refresh_from_db()
    assert stored == 3
    assert statuses(batch) == {"Ocean": "exists", "Missing page": "missing", "Forest": "exists"}
    assert (batch.status, batch.done) == ("finished", 3)


@pytest.mark.django_db(transaction=True)
def test_an_api_chunk_asks_about_all_its_titles_in_one_request(owner, fake_wiki, settings):
    settings.WIKICHECK_API_PATHS = [(f"127.0.0.1:{fake_wiki.port}", "/w/api.php")]
    titles = [f"Title {n}" for n in range(30)] + ["Missing one"]
    batch = batch_create(
        owner=owner, entries=pages(fake_wiki, titles), wiki=fake_wiki.wiki_url, mode="api"
    )

    chunk_check(result_ids=ids_of(batch), api=True)

    assert fake_wiki.api_requests == 1
    assert statuses(batch)["Missing one"] == "missing"
    assert set(statuses(batch).values()) == {"exists", "missing"}


@pytest.mark.django_db(transaction=True)
def test_an_exception_inside_a_check_is_stored_as_an_error_and_the_chunk_goes_on(
    owner, fake_wiki, monkeypatch
):
    def page_check_failing_on_forest(url, *, session, timeout):
        if url.endswith("/Forest"):
            raise ValueError("no parser for this page")
        return page_check(url, session=session, timeout=timeout)

    monkeypatch.setattr(units, "page_check", page_check_failing_on_forest)
    batch = page_batch(owner, fake_wiki, ["Forest", "Ocean"])

    chunk_check(result_ids=ids_of(batch), api=False)

    assert dict(batch.results.values_list("title", "error")) == {
        "Forest": "InternalError: ValueError: no parser for this page",
        "Ocean": "",
    }
    assert statuses(batch) == {"Forest": "error", "Ocean": "exists"}


@pytest.mark.django_db(transaction=True)
def test_running_a_chunk_again_checks_nothing_twice(owner, fake_wiki):
    batch = page_batch(owner, fake_wiki, [f"Page {n}" for n in range(5)])
    chunk_check(result_ids=ids_of(batch), api=False)

    stored_again = chunk_check(result_ids=ids_of(batch), api=False)

    assert stored_again == 0
    assert fake_wiki.requests_by_title == {f"Page {n}": 1 for n in range(5)}
    assert Batch.objects.get(pk=batch.pk).done == 5


@pytest.mark.django_db(transaction=True)
def test_a_chunk_checks_its_waiting_rows_but_not_rows_being_checked(owner, fake_wiki):
    batch = page_batch(owner, fake_wiki, ["Waiting", "In flight"])
    batch.results.filter(title="In flight").update(status="running", claimed_at=timezone.now())

    chunk_check(result_ids=ids_of(batch), api=False)

    assert statuses(batch) == {"Waiting": "exists", "In flight": "running"}
    assert fake_wiki.requests_by_title == {"Waiting": 1}


@pytest.mark.django_db(transaction=True)
def test_a_chunk_of_a_cancelled_batch_checks_nothing(owner, fake_wiki):
    batch = page_batch(owner, fake_wiki, ["Ocean", "Forest"])
    batch_cancel(batch=batch)

    stored = chunk_check(result_ids=ids_of(batch), api=False)

    assert stored == 0
    assert fake_wiki.requests_total == 0
    assert set(statuses(batch).values()) == {"cancelled"}


@pytest.mark.django_db(transaction=True)
def test_a_new_batch_is_published_to_the_broker(owner, fake_wiki, celery_broker, settings):
    settings.WIKICHECK_CHUNK_PAGES = 4

    page_batch(owner, fake_wiki, [f"Page {n}" for n in range(10)])

    assert queue_length() == 3


@pytest.mark.django_db(transaction=True)
def test_a_batch_submitted_while_the_broker_is_down_stays_pending_and_is_swept_later(
    owner, fake_wiki, celery_broker, settings, caplog
):
    broker_use(f"redis://127.0.0.1:{free_port()}/0")
    with caplog.at_level(logging.ERROR, logger="checks"):
        batch = page_batch(owner, fake_wiki, ["Ocean", "Forest"])
    broker_use(celery_broker)
    Batch.objects.filter(pk=batch.pk).update(created_at=timezone.now() - timedelta(minutes=1))

    sent = pending_republish()

    assert any("could not reach the Celery broker" in line for line in caplog.messages)
    assert set(statuses(batch).values()) == {"pending"}
    assert sent == 1
    assert queue_length() == 1


@pytest.mark.django_db(transaction=True)
def test_the_sweep_requeues_rows_whose_worker_died_and_publishes_them_at_once(
    owner, fake_wiki, celery_broker, dead_process, settings
):
    batch = page_batch(owner, fake_wiki, ["Abandoned", "Waiting"])
    redis.Redis.from_url(celery_broker).flushdb()
    batch.results.filter(title="Abandoned").update(
        status="running", claimed_at=timezone.now(), claimed_by=dead_process
    )

    sent = pending_republish()

    assert statuses(batch) == {"Abandoned": "pending", "Waiting": "pending"}
    # The dead worker's row and the rest of its chunk at once, without waiting for the queue
    # to empty: the message that carried them died with the worker.
    assert (sent, queue_length()) == (1, 1)
    with celery_app.connection_for_read() as connection:
        queue = connection.SimpleQueue(settings.CELERY_TASK_DEFAULT_QUEUE)
        message = queue.get(timeout=5)
        message.ack()
        queue.close()
    assert message.payload[1]["result_ids"] == ids_of(batch)


@pytest.mark.django_db(transaction=True)
def test_the_rest_of_a_dead_worker_s_chunk_is_published_while_the_queue_holds_work(
    owner, fake_wiki, celery_broker, dead_process, settings
):
    settings.WIKICHECK_CHUNK_PAGES = 3
    batch = page_batch(owner, fake_wiki, [f"Page {n}" for n in range(9)])
    redis.Redis.from_url(celery_broker).flushdb()
    ids = ids_of(batch)
    batch.results.filter(pk__in=ids[:3]).update(status="exists")
    batch.results.filter(pk=ids[3]).update(
        status="running", claimed_at=timezone.now(), claimed_by=dead_process
    )
    page_batch(owner, fake_wiki, ["Another batch's work"])  # the queue is not empty

    sent = pending_republish()

    assert sent == 2  # the released page and the 3 after it: 4 pages in chunks of 3
    assert queue_length() == 3
    chunk_check(result_ids=ids[3:7], api=False)
    assert [status for _, status in sorted(batch.results.values_list("position", "status"))] == [
        *["exists"] * 7,
        *["pending"] * 2,
    ]


@pytest.mark.django_db(transaction=True)
def test_the_sweep_publishes_nothing_while_the_queue_still_holds_work(
    owner, fake_wiki, celery_broker
):
    batch = page_batch(owner, fake_wiki, ["Ocean", "Forest"])
    Batch.objects.filter(pk=batch.pk).update(created_at=timezone.now() - timedelta(minutes=5))

    sent = pending_republish()

    assert sent == 0
    assert queue_length() == 1


@pytest.mark.django_db(transaction=True)
def test_a_small_batch_overtakes_the_tail_of_a_large_one_in_the_queue(owner, fake_wiki, settings):
    settings.WIKICHECK_CHUNK_PAGES = 1
    large = page_batch(owner, fake_wiki, [f"Large {n}" for n in range(40)])
    small = page_batch(owner, fake_wiki, ["Small"])

    with celery_app.connection_for_read() as connection:
        queue = connection.SimpleQueue(settings.CELERY_TASK_DEFAULT_QUEUE)
        order = []
        for _ in range(41):
            message = queue.get(timeout=5)
            order.append(message.payload[1]["result_ids"][0])
            message.ack()
        queue.close()

    assert order.index(ids_of(small)[0]) <= CHUNKS_PER_PRIORITY
    assert order[:CHUNKS_PER_PRIORITY] == ids_of(large)[:CHUNKS_PER_PRIORITY]


@pytest.mark.django_db(transaction=True)
def test_the_sweep_leaves_a_batch_alone_while_a_worker_is_checking_it(
    owner, fake_wiki, celery_broker
):
    batch = page_batch(owner, fake_wiki, ["In flight", "Next in its chunk"])
    redis.Redis.from_url(celery_broker).flushdb()
    Batch.objects.filter(pk=batch.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    batch.results.filter(title="In flight").update(status="running", claimed_at=timezone.now())

    sent = pending_republish()

    assert (sent, queue_length()) == (0, 0)
    assert statuses(batch) == {"In flight": "running", "Next in its chunk": "pending"}


@pytest.mark.django_db(transaction=True)
def test_a_worker_s_sweep_fires_a_due_list_whose_run_goes_to_the_broker(
    owner, fake_wiki, celery_broker, settings
):
    redis.Redis.from_url(celery_broker).flushdb()
    settings.WIKICHECK_LISTS_IN_SWEEP = True
    settings.WIKICHECK_CHUNK_PAGES = 4
    saved = list_save(
        owner=owner,
        name="Due",
        entries="\n".join(f"Page {n}" for n in range(8)),
        wiki=fake_wiki.wiki_url,
        mode="page",
        schedule="hourly",
    )
    SavedList.objects.filter(pk=saved.pk).update(next_run_at=timezone.now() - timedelta(seconds=1))

    pending_republish()

    run = wait_until(lambda: Batch.objects.filter(saved_list=saved).first())
    assert run.status == Batch.Status.RUNNING
    assert wait_until(lambda: queue_length() == 2)
