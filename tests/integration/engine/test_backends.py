"""One setting picks the backend: the process's own pool, or Celery workers."""

import os

import pytest
from django.contrib.auth import get_user_model

from checks.batches import batch_create
from checks.engine import dispatch, runner
from checks.engine.tasks import queue_length
from checks.intake.parsing import Entry
from checks.models import Result
from tests.support import wait_until


@pytest.mark.parametrize(("backend", "resumes"), [("threads", True), ("celery", False)])
def test_only_the_thread_backend_checks_in_the_web_process(backend, resumes, settings, monkeypatch):
    settings.WIKICHECK_BACKEND = backend
    monkeypatch.setattr(runner, "_resumed_pid", None)

    dispatch.work_resume()

    assert (runner._resumed_pid == os.getpid()) is resumes


@pytest.mark.django_db(transaction=True)
def test_with_celery_a_batch_waits_for_workers_instead_of_being_checked_here(
    fake_wiki, celery_broker
):
    owner = get_user_model().objects.create_user(username="dispatch-owner")
    entries = [Entry(url=f"{fake_wiki.wiki_url}Page_{n}", title=f"Page {n}") for n in range(3)]

    batch = batch_create(owner=owner, entries=entries, wiki=fake_wiki.wiki_url, mode="page")

    wait_until(queue_length)
    assert set(batch.results.values_list("status", flat=True)) == {Result.Status.PENDING}
    assert fake_wiki.requests_total == 0


@pytest.mark.django_db(transaction=True)
def test_with_threads_a_batch_is_checked_in_this_process(fake_wiki, settings):
    settings.WIKICHECK_BACKEND = "threads"
    owner = get_user_model().objects.create_user(username="dispatch-owner")
    entries = [Entry(url=f"{fake_wiki.wiki_url}Page_{n}", title=f"Page {n}") for n in range(3)]

    batch = batch_create(owner=owner, entries=entries, wiki=fake_wiki.wiki_url, mode="page")

    wait_until(lambda: not batch.results.exclude(status=Result.Status.EXISTS).exists())
    assert fake_wiki.requests_total == 3
