"""One setting picks the backend: the process's own pool, or Celery workers."""

import json
import os

import pytest
from django.contrib.auth import get_user_model

from checks.batches import batch_create
from checks.engine.backends import backend
from checks.engine.backends.celery import CeleryBackend, chunk_check, queue_length
from checks.engine.backends.threads import ThreadsBackend
from checks.intake.parsing import Entry
from checks.models import Result
from fakewiki.unreachable import free_port
from tests.support import ServerProcess, wait_until
from wikicheck_site.celery import app as celery_app

# Run by `manage.py shell` in a process of its own: checks a batch with the thread pool and
# prints which of the Celery backend's libraries it loaded.
CHECK_A_BATCH = """
import json, sys, time
from django.contrib.auth import get_user_model
from checks.batches import batch_create
from checks.intake.parsing import Entry
from checks.models import Batch
from django.conf import settings

owner = get_user_model().objects.create_user(username="threads-only")
wiki = settings.WIKICHECK_DEFAULT_WIKI
entries = [Entry(url=f"{wiki}Page_{n}", title=f"Page {n}") for n in range(5)]
batch = batch_create(owner=owner, entries=entries, wiki=wiki, mode="page")
deadline = time.monotonic() + 30
while Batch.objects.get(pk=batch.pk).status == "running" and time.monotonic() < deadline:
    time.sleep(0.05)
loaded = [name for name in ("celery", "kombu", "redis") if name in sys.modules]
print(json.dumps({"status": Batch.objects.get(pk=batch.pk).status, "loaded": loaded}))
"""


@pytest.mark.parametrize(
    ("name", "built"), [("threads", ThreadsBackend), ("celery", CeleryBackend)]
)
def test_the_backend_is_built_from_the_setting(name, built, settings):
    settings.WIKICHECK_BACKEND = name

    assert type(backend()) is built


def test_the_celery_task_keeps_the_name_messages_already_queued_carry():
    celery_app.loader.import_default_modules()

    assert celery_app.tasks["checks.tasks.chunk_check"] == chunk_check


def test_the_threads_backend_checks_without_loading_celery_kombu_or_redis(tmp_path, fake_wiki):
    site = ServerProcess(
        port=free_port(),
        env={
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'threads.sqlite3'}",
            "WIKICHECK_BACKEND": "threads",
            "WIKICHECK_ALLOWED_HOSTS": f"127.0.0.1:{fake_wiki.port}",
            "WIKICHECK_DEFAULT_WIKI": fake_wiki.wiki_url,
        },
    )
    site.manage("migrate", "--noinput")

    printed = site.manage("shell", "--no-imports", "-c", CHECK_A_BATCH)

    assert json.loads(printed.splitlines()[-1]) == {"status": "finished", "loaded": []}
    assert fake_wiki.requests_total == 5


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
