import logging

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction

from checks.batches import batch_create
from checks.engine import runner
from checks.intake.parsing import entry_parse
from checks.models import Batch, Result
from tests.support import wait_until


def entries_for(titles, *, fake_wiki):
    return [
        entry_parse(title, wiki=fake_wiki.wiki_url, allowed_hosts=[f"127.0.0.1:{fake_wiki.port}"])
        for title in titles
    ]


def finished(batch: Batch) -> bool:
    batch.refresh_from_db()
    return batch.status == Batch.Status.FINISHED


@pytest.fixture
def owner(db):
    return get_user_model().objects.create_user(username="runner-owner")


@pytest.mark.django_db(transaction=True)
def test_500_pages_on_many_workers_all_end_final_and_none_is_lost(owner, fake_wiki, caplog):
    titles = [f"Page {n}" if n % 5 else f"Missing {n}" for n in range(500)]
    fake_wiki.latency_ms = 5

    with caplog.at_level(logging.WARNING):
        batch = batch_create(owner=owner, entries=entries_for(titles, fake_wiki=fake_wiki), wiki="")
        wait_until(lambda: finished(batch), timeout=120)

    statuses = Result.objects.filter(batch=batch).values_list("status", flat=True)
    assert runner.executor_get()._max_workers >= 8
    assert sorted(set(statuses)) == ["exists", "missing"]
    assert (batch.done, batch.exists_count, batch.missing_count) == (500, 400, 100)
    assert sorted(batch.results.values_list("completion_order", flat=True)) == list(range(1, 501))
    assert all(fake_wiki.requests_by_title[title] == 1 for title in titles)
    assert "locked" not in caplog.text
    assert not batch.results.exclude(error="").exists()


@pytest.mark.django_db(transaction=True)
def test_a_small_batch_is_not_stuck_behind_a_large_one(owner, fake_wiki):
    fake_wiki.latency_ms = 50
    large = batch_create(
        owner=owner,
        entries=entries_for([f"Large {n}" for n in range(400)], fake_wiki=fake_wiki),
        wiki="",
    )
    wait_until(lambda: Batch.objects.filter(pk=large.pk, done__gte=8).exists())

    small = batch_create(
        owner=owner, entries=entries_for(["Small 1", "Small 2"], fake_wiki=fake_wiki), wiki=""
    )
    wait_until(lambda: finished(small))

    large.refresh_from_db()
    assert large.status == Batch.Status.RUNNING
    wait_until(lambda: finished(large), timeout=60)


@pytest.mark.django_db(transaction=True)
def test_the_per_batch_timeout_overrides_the_default(owner, fake_wiki, settings):
    settings.WIKICHECK_TIMEOUT = (5.0, 5.0)
    fake_wiki.latency_ms = 300

    batch = batch_create(
        owner=owner, entries=entries_for(["Ocean"], fake_wiki=fake_wiki), wiki="", timeout=0.05
    )
    wait_until(lambda: finished(batch))

    result = batch.results.get()
    assert result.status == Result.Status.ERROR
    assert result.error.startswith("ReadTimeout")


@pytest.mark.django_db(transaction=True)
def test_workers_send_the_descriptive_user_agent(owner, fake_wiki, settings):
    settings.WIKICHECK_CONTACT = "ops@example.org"

    batch = batch_create(owner=owner, entries=entries_for(["Ocean"], fake_wiki=fake_wiki), wiki="")
    wait_until(lambda: finished(batch))

    assert fake_wiki.last_user_agent.startswith("wikicheck/")
    assert "(ops@example.org)" in fake_wiki.last_user_agent


@pytest.mark.django_db(transaction=True)
def test_workers_are_woken_only_after_the_batch_commits(owner, fake_wiki, monkeypatch):
    wakes = []
    monkeypatch.setattr(runner, "workers_wake", lambda: wakes.append("woken"))

    with transaction.atomic():
        batch_create(owner=owner, entries=entries_for(["Ocean"], fake_wiki=fake_wiki), wiki="")
        wakes_before_commit = len(wakes)

    assert wakes_before_commit == 0
    assert wakes == ["woken"]


@pytest.mark.django_db(transaction=True)
def test_the_pool_never_queues_more_than_its_workers(owner, fake_wiki, settings):
    fake_wiki.latency_ms = 20
    batch = batch_create(
        owner=owner,
        entries=entries_for([f"Queued {n}" for n in range(300)], fake_wiki=fake_wiki),
        wiki="",
    )
    in_flight = []

    def sample_until_finished():
        in_flight.append(runner.futures_in_flight())
        return finished(batch)

    wait_until(sample_until_finished, timeout=60, interval=0.01)

    assert 0 < max(in_flight) <= settings.WIKICHECK_MAX_WORKERS
