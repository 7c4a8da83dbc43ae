"""The Celery backend for real: PostgreSQL, Redis, the web app and two Celery worker processes.

Pages are submitted through the web form and checked by `celery -A wikicheck_site worker`
processes against a fake wiki of this test's own, which counts every request and the peak of
requests in flight per host. Runs on PostgreSQL (the suite's second run), where workers on
several machines would meet; the SQLite run skips it.
"""

import os
import signal
import time
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection

from checks.models import Batch, Result
from fakewiki.unreachable import free_port
from tests.support import CeleryWorkers, ServerProcess, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "celery-pass-123"
HOST_CAP = 3
WORKER_THREADS = 8  # the default
# Issue #13's bound, with the default heartbeat (5 s) and sweep (5 s).
TAKEOVER_SECONDS = 30


class Cluster(CeleryWorkers):
    """The web app and named Celery workers, each a real process sharing the test database."""

    def __init__(self, *, env: dict[str, str], logs: Path) -> None:
        super().__init__(env=env, logs=logs)
        self.web = ServerProcess(port=free_port(), env=env)

    def worker_kill(self, name: str) -> None:
        self.processes[name].send_signal(signal.SIGKILL)
        self.processes[name].wait(timeout=10)

    def stop(self) -> None:
        super().stop()
        if self.web.process is not None:
            self.web.stop(signal.SIGKILL)


@pytest.fixture
def cluster(wiki, redis_url, django_user_model, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("Celery workers meet on PostgreSQL: the suite's PostgreSQL run covers this")
    django_user_model.objects.create_user(username="celery-user", password=PASSWORD)
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        ),
        "WIKICHECK_BACKEND": "celery",
        "CELERY_BROKER_URL": redis_url,
        "WIKICHECK_ALLOWED_HOSTS": f"127.0.0.1:{wiki.port}",
        "WIKICHECK_DEFAULT_WIKI": wiki.wiki_url,
        "WIKICHECK_HOST_CONCURRENCY": f"127.0.0.1:{wiki.port}={HOST_CAP}",
        "WIKICHECK_MAX_WORKERS": str(WORKER_THREADS),
    }
    cluster = Cluster(env=env, logs=tmp_path)
    try:
        cluster.web.start()
        yield cluster
    finally:
        cluster.stop()


def submit(cluster: Cluster, titles: list[str]) -> Batch:
    session = cluster.web.login(username="celery-user", password=PASSWORD)
    response = session.post(
        cluster.web.url + "/",
        data={
            "urls": "\n".join(titles),
            "wiki": cluster.env["WIKICHECK_DEFAULT_WIKI"],
            "mode": "page",
        },
        headers={"X-CSRFToken": session.cookies["csrftoken"], "Referer": cluster.web.url + "/"},
        timeout=60,
    )
    assert response.status_code == 200, response.text[-2000:]
    return Batch.objects.get(pk=response.url.rstrip("/").rsplit("/", 1)[-1])


def finished(batch: Batch) -> bool:
    batch.refresh_from_db()
    return batch.status == Batch.Status.FINISHED


def statuses(batch: Batch) -> dict[str, str]:
    return dict(Result.objects.filter(batch=batch).values_list("title", "status"))


def test_two_workers_check_500_pages_from_the_form_correctly_within_the_host_cap(cluster, wiki):
    wiki.latency_ms = 20
    titles = [f"Missing page {n}" if n % 5 == 0 else f"Page {n}" for n in range(500)]
    cluster.start("one", "two")

    batch = submit(cluster, titles)
    wait_until(lambda: finished(batch), timeout=120)

    expected = {title: "missing" if title.startswith("Missing") else "exists" for title in titles}
    assert statuses(batch) == expected
    assert (batch.done, batch.exists_count, batch.missing_count) == (500, 400, 100)
    assert wiki.requests_by_title == Counter(titles), "each page requested exactly once"
    assert wiki.peak_concurrency_by_host == {f"127.0.0.1:{wiki.port}": HOST_CAP}
    assert cluster.tasks_run_by("one") > 0 and cluster.tasks_run_by("two") > 0


def test_a_worker_killed_mid_batch_loses_nothing_and_nothing_is_checked_twice(cluster, wiki):
    wiki.latency_ms = 50
    titles = [f"Page {n}" for n in range(300)]
    cluster.start("one", "two")
    batch = submit(cluster, titles)
    wait_until(lambda: Batch.objects.get(pk=batch.pk).done >= 75, timeout=60)

    cluster.worker_kill("one")
    killed_at = time.monotonic()
    at_kill = statuses(batch)
    wait_until(lambda: finished(batch), timeout=120, interval=0.1)
    seconds = time.monotonic() - killed_at

    requests = wiki.requests_by_title
    checked_twice = {title for title, count in requests.items() if count > 1}
    final_at_kill = {title for title, status in at_kill.items() if status == "exists"}
    # The figures the README quotes (shown with `pytest -s`).
    print(
        f"killed at {Counter(at_kill.values())}; the other worker finished {seconds:.1f} s "
        f"later; requested twice: {len(checked_twice)}; "
        f"peak per host: {wiki.peak_concurrency_by_host}"
    )
    assert seconds < TAKEOVER_SECONDS
    assert 75 <= len(final_at_kill) < 300, "the kill came mid-batch"
    assert set(statuses(batch).values()) == {"exists"}
    assert (batch.done, batch.exists_count) == (300, 300)
    assert set(requests) == set(titles), "nothing lost"
    assert max(requests.values()) <= 2
    # Only a page the killed worker held (being requested, or answered and not yet stored) is
    # asked for again.
    assert checked_twice <= {title for title, status in at_kill.items() if status == "running"}
    assert not final_at_kill & checked_twice, "no finished page is checked again"
    assert "whose process stopped before storing them" in cluster.log("two").read_text(), (
        "the killed worker's rows were recovered by the live one"
    )
    assert wiki.peak_concurrency_by_host == {f"127.0.0.1:{wiki.port}": HOST_CAP}
