"""Restarts lose nothing: the real server killed mid-batch, started again, finishes the batch."""

import os
import signal
import sqlite3
from collections import Counter

import pytest

from fakewiki.unreachable import free_port
from tests.support import ServerProcess, wait_until

PAGES = 300
WORKERS = 8
LEASE_SECONDS = 3
PASSWORD = "restart-pass-123"


@pytest.fixture
def server(tmp_path, fake_wiki_server):
    fake_wiki_server.reset()
    fake_wiki_server.latency_ms = 100
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'restart.sqlite3'}",
        "WIKICHECK_ALLOWED_HOSTS": f"127.0.0.1:{fake_wiki_server.port}",
        "WIKICHECK_DEFAULT_WIKI": fake_wiki_server.wiki_url,
        "WIKICHECK_MAX_WORKERS": str(WORKERS),
        "WIKICHECK_TIMEOUT": "2,2",
        "WIKICHECK_LEASE_SECONDS": str(LEASE_SECONDS),
        "WIKICHECK_SWEEP_SECONDS": "0.5",
        "DJANGO_SUPERUSER_USERNAME": "restarter",
        "DJANGO_SUPERUSER_PASSWORD": PASSWORD,
    }
    server = ServerProcess(port=free_port(), env=env)
    server.manage("migrate", "--noinput")
    server.manage("ensure_superuser")
    yield server
    server.stop(signal.SIGKILL)
    fake_wiki_server.latency_ms = 0


def statuses(database: str) -> dict[str, str]:
    with sqlite3.connect(database) as db:
        return dict(db.execute("select title, status from checks_result"))


def batch_row(database: str) -> tuple[str, int, int]:
    with sqlite3.connect(database) as db:
        return db.execute("select status, done, total from checks_batch").fetchone()


def submit_and_stop_midway(server: ServerProcess, sig: int) -> tuple[dict[str, str], float]:
    database = server.env["DATABASE_URL"].removeprefix("sqlite:///")
    session = server.login(username="restarter", password=PASSWORD)
    titles = "\n".join(f"Page {n}" for n in range(PAGES))
    session.post(
        server.url + "/",
        data={"urls": titles, "wiki": server.env["WIKICHECK_DEFAULT_WIKI"]},
        headers={"X-CSRFToken": session.cookies["csrftoken"], "Referer": server.url + "/"},
        timeout=30,
    )
    wait_until(lambda: batch_row(database) and batch_row(database)[1] >= PAGES // 4)

    exit_seconds = server.stop(sig)

    return statuses(database), exit_seconds


def restart_and_finish(server: ServerProcess, fake_wiki) -> dict[str, str]:
    database = server.env["DATABASE_URL"].removeprefix("sqlite:///")
    fake_wiki.reset()
    server.start()
    wait_until(lambda: batch_row(database)[0] == "finished", timeout=60)
    return statuses(database)


def assert_each_unfinished_page_checked_once_after_restart(before, after, requests_after):
    checked = {"exists", "missing"}
    expected = Counter({title: 1 for title, status in before.items() if status not in checked})
    assert set(after.values()) == {"exists"}
    assert len(after) == PAGES
    assert Counter(requests_after) == expected


def test_sigkill_mid_batch_loses_nothing_and_checks_nothing_twice(server, fake_wiki_server):
    server.start()

    before, _ = submit_and_stop_midway(server, signal.SIGKILL)
    after = restart_and_finish(server, fake_wiki_server)

    database = server.env["DATABASE_URL"].removeprefix("sqlite:///")
    assert 0 < sum(status == "exists" for status in before.values()) < PAGES
    assert batch_row(database) == ("finished", PAGES, PAGES)
    assert_each_unfinished_page_checked_once_after_restart(
        before, after, fake_wiki_server.requests_by_title
    )


def test_sigterm_exits_promptly_and_the_rest_is_checked_after_restart(server, fake_wiki_server):
    server.start()

    before, exit_seconds = submit_and_stop_midway(server, signal.SIGTERM)
    after = restart_and_finish(server, fake_wiki_server)

    assert exit_seconds < 5
    assert "running" not in before.values(), "checks in flight are stored before exiting"
    assert sum(status == "pending" for status in before.values()) > 0
    assert_each_unfinished_page_checked_once_after_restart(
        before, after, fake_wiki_server.requests_by_title
    )


def test_two_server_processes_never_check_the_same_row(server, fake_wiki_server, tmp_path):
    database = server.env["DATABASE_URL"].removeprefix("sqlite:///")
    second = ServerProcess(port=free_port(), env=server.env)
    server.start()
    second.start()
    try:
        session = server.login(username="restarter", password=PASSWORD)
        session.post(
            server.url + "/",
            data={
                "urls": "\n".join(f"Shared {n}" for n in range(PAGES)),
                "wiki": server.env["WIKICHECK_DEFAULT_WIKI"],
            },
            headers={"X-CSRFToken": session.cookies["csrftoken"], "Referer": server.url + "/"},
            timeout=30,
        )
        wait_until(lambda: batch_row(database)[0] == "finished", timeout=60)
    finally:
        second.stop(signal.SIGKILL)

    assert fake_wiki_server.peak_concurrency > WORKERS, "both processes were checking"
    assert Counter(fake_wiki_server.requests_by_title) == Counter(
        {f"Shared {n}": 1 for n in range(PAGES)}
    )


LEFT_PENDING = """
from django.contrib.auth import get_user_model
from checks.engine.workqueue import results_insert
from checks.models import Batch
owner = get_user_model().objects.create_user(username="left-behind")
batch = Batch.objects.create(owner=owner, wiki="{wiki}", total=5, mode="page")
results_insert(batch_id=batch.pk, rows=[("{wiki}Left_%d" % n, "Left %d" % n, "") for n in range(5)])
"""


def test_a_booting_server_checks_rows_left_pending_before_any_request(server, fake_wiki_server):
    database = server.env["DATABASE_URL"].removeprefix("sqlite:///")
    server.manage("shell", "-c", LEFT_PENDING.format(wiki=fake_wiki_server.wiki_url))
    fake_wiki_server.reset()

    server.start(requests_allowed=False)

    wait_until(lambda: batch_row(database) == ("finished", 5, 5), timeout=30)
    assert set(statuses(database).values()) == {"exists"}
    assert fake_wiki_server.requests_total == 5
