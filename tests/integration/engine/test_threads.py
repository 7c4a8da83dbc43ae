"""The thread pool backend: one future per unit of work, a bounded number in flight, and every
unit's outcome stored, whether the check answered, raised, was cancelled or the pool stopped."""

import logging

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction

from checks.batches import batch_cancel, batch_create
from checks.engine import units
from checks.engine.backends import backend
from checks.engine.backends import threads as threads_backend
from checks.engine.backends.threads import ThreadsBackend
from checks.intake.parsing import entry_parse
from checks.models import Batch, Result
from checks.probe.page import page_check
from tests.support import wait_until


def entries_for(titles, *, fake_wiki):
    return [
        entry_parse(title, wiki=fake_wiki.wiki_url, allowed_hosts=[f"127.0.0.1:{fake_wiki.port}"])
        for title in titles
    ]


def finished(batch: Batch) -> bool:
    batch.refresh_from_db()
    return batch.status == Batch.Status.FINISHED


def statuses(batch: Batch) -> dict[str, str]:
    return dict(batch.results.values_list("title", "status"))


@pytest.fixture
def owner(db):
    return get_user_model().objects.create_user(username="runner-owner")


@pytest.fixture
def ten_pages_on_two_slow_workers(owner, fake_wiki, settings) -> Batch:
    """A batch of ten pages for two workers, each check taking a second, once it holds four
    futures: two checks in flight and two futures not started."""
    settings.WIKICHECK_MAX_WORKERS = 2
    fake_wiki.latency_ms = 1000
    titles = [f"Page {n}" for n in range(10)]
    batch = batch_create(owner=owner, entries=entries_for(titles, fake_wiki=fake_wiki), wiki="")
    wait_until(lambda: backend().futures_in_flight() == 4)
    return batch


@pytest.mark.django_db(transaction=True)
def test_500_pages_on_many_workers_all_end_final_and_none_is_lost(owner, fake_wiki, caplog):
    titles = [f"Page {n}" if n % 5 else f"Missing {n}" for n in range(500)]
    fake_wiki.latency_ms = 5

    with caplog.at_level(logging.WARNING):
        batch = batch_create(owner=owner, entries=entries_for(titles, fake_wiki=fake_wiki), wiki="")
        wait_until(lambda: finished(batch), timeout=120)

    assert set(statuses(batch).values()) == {"exists", "missing"}
    assert (batch.done, batch.exists_count, batch.missing_count) == (500, 400, 100)
    assert sorted(batch.results.values_list("completion_order", flat=True)) == list(range(1, 501))
    assert all(fake_wiki.requests_by_title[title] == 1 for title in titles)
    assert "locked" not in caplog.text
    assert not batch.results.exclude(error="").exists()


@pytest.mark.django_db(transaction=True)
def test_an_exception_inside_a_check_is_stored_as_an_error_and_the_pool_keeps_checking(
    owner, fake_wiki, settings, monkeypatch
):
    settings.WIKICHECK_MAX_WORKERS = 2

    def page_check_failing_on_broken_pages(url, *, session, timeout):
        if "/Broken_" in url:
            raise ValueError("no parser for this page")
        return page_check(url, session=session, timeout=timeout)

    monkeypatch.setattr(units, "page_check", page_check_failing_on_broken_pages)
    titles = [f"Broken {n}" if n % 4 == 0 else f"Page {n}" for n in range(40)]

    batch = batch_create(
        owner=owner, entries=entries_for(titles, fake_wiki=fake_wiki), wiki="", mode="page"
    )
    wait_until(lambda: finished(batch), timeout=60)

    broken = batch.results.filter(title__startswith="Broken")
    assert set(broken.values_list("status", "error")) == {
        ("error", "InternalError: ValueError: no parser for this page")
    }
    others = batch.results.exclude(title__startswith="Broken")
    assert set(others.values_list("status", flat=True)) == {"exists"}
    assert (batch.done, batch.error_count, batch.exists_count) == (40, 10, 30)


@pytest.mark.django_db(transaction=True)
def test_futures_in_flight_stay_within_twice_the_workers_and_end_at_zero(
    owner, fake_wiki, settings
):
    settings.WIKICHECK_MAX_WORKERS = 4
    fake_wiki.latency_ms = 20
    batch = batch_create(
        owner=owner,
        entries=entries_for([f"Queued {n}" for n in range(300)], fake_wiki=fake_wiki),
        wiki="",
    )
    in_flight = []

    def sample_until_finished():
        in_flight.append(backend().futures_in_flight())
        return finished(batch)

    wait_until(sample_until_finished, timeout=60, interval=0.01)

    assert 0 < max(in_flight) <= 2 * 4
    wait_until(lambda: backend().futures_in_flight() == 0)


@pytest.mark.django_db(transaction=True)
def test_cancelling_a_batch_cancels_its_futures_not_started(
    ten_pages_on_two_slow_workers, fake_wiki
):
    batch = ten_pages_on_two_slow_workers

    batch_cancel(batch=batch)
    wait_until(lambda: Batch.objects.get(pk=batch.pk).is_settled)

    batch.refresh_from_db()
    assert sum(fake_wiki.requests_by_title.values()) == batch.done <= 2
    assert batch.cancelled_count == 10 - batch.done
    assert "running" not in statuses(batch).values()


@pytest.mark.django_db(transaction=True)
def test_shutdown_gives_the_units_not_started_back_to_the_queue(
    ten_pages_on_two_slow_workers, fake_wiki
):
    batch = ten_pages_on_two_slow_workers

    backend().shutdown(wait=True)

    batch.refresh_from_db()
    assert sum(fake_wiki.requests_by_title.values()) == batch.done <= 2
    assert sorted(statuses(batch).values()) == ["exists"] * batch.done + ["pending"] * (
        10 - batch.done
    )


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
def test_workers_are_told_of_a_batch_only_after_it_commits(owner, fake_wiki, monkeypatch):
    told = []

    def work_submitted(self, *, batch_id) -> None:
        told.append(batch_id)

    monkeypatch.setattr(ThreadsBackend, "work_submitted", work_submitted)

    with transaction.atomic():
        batch = batch_create(
            owner=owner, entries=entries_for(["Ocean"], fake_wiki=fake_wiki), wiki=""
        )
        told_before_commit = list(told)

    assert told_before_commit == []
    assert told == [batch.pk]


@pytest.mark.django_db(transaction=True)
def test_a_batch_committed_while_the_feeder_finds_nothing_is_still_checked(
    owner, fake_wiki, settings, monkeypatch
):
    # Only a wake-up can start the batch: the next sweep, which looks again, is an hour away.
    settings.WIKICHECK_SWEEP_SECONDS = 3600
    batches: list[Batch] = []
    real_claim = threads_backend.results_claim

    def claim_as_a_batch_commits(**kwargs):
        claims = real_claim(**kwargs)
        if not batches:
            # Committed (and its wake-up sent) after the claim read an empty queue.
            batches.append(
                batch_create(
                    owner=owner, entries=entries_for(["Ocean"], fake_wiki=fake_wiki), wiki=""
                )
            )
        return claims

    monkeypatch.setattr(threads_backend, "results_claim", claim_as_a_batch_commits)
    backend().work_submitted(batch_id=None)

    wait_until(lambda: batches and finished(batches[0]), timeout=10)
    assert statuses(batches[0]) == {"Ocean": "exists"}
