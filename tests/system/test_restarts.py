"""Restarts lose nothing, with the shipped settings: the real server killed mid-batch, started
again, finishes the batch in seconds; a killed process's rows are taken over by a live one, and
a live process's slow check by nobody. (A frozen process is in test_heartbeats.py.)"""

import os
import signal
import sqlite3
import time
from collections import Counter

import pytest

from fakewiki.unreachable import free_port
from tests.support import ServerProcess, wait_until

pytestmark = pytest.mark.own_sqlite

PAGES = 300
WORKERS = 8  # the default, said here because the test's arithmetic depends on it
PASSWORD = "restart-pass-123"
# The acceptance bounds of issue #13, with the default heartbeat (5 s) and sweep (5 s).
RESTART_FINISH_SECONDS = 10
TAKEOVER_SECONDS = 30
SLOW_CHECK_SECONDS = 90


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


def submit(server: ServerProcess, titles: list[str], **fields: str) -> None:
    session = server.login(username="restarter", password=PASSWORD)
    response = session.post(
        server.url + "/",
        data={"urls": "\n".join(titles), "wiki": server.env["WIKICHECK_DEFAULT_WIKI"], **fields},
        headers={"X-CSRFToken": session.cookies["csrftoken"], "Referer": server.url + "/"},
        timeout=30,
    )
    assert response.status_code == 200, response.text[-2000:]


def submit_and_stop_midway(server: ServerProcess, sig: int) -> tuple[dict[str, str], float]:
    database = server.env["DATABASE_URL"].removeprefix("sqlite:///")
    submit(server, [f"Page {n}" for n in range(PAGES)])
    wait_until(lambda: batch_row(database) and batch_row(database)[1] >= PAGES // 4)

    exit_seconds = server.stop(sig)

    return statuses(database), exit_seconds


def restart_and_finish(server: ServerProcess, fake_wiki) -> tuple[dict[str, str], float]:
    """Start the server again; the statuses once the batch finished, and the seconds from the
    start of the server process to then."""
    database = server.env["DATABASE_URL"].removeprefix("sqlite:///")
    fake_wiki.reset()
    started = time.monotonic()
    server.start()
    wait_until(lambda: batch_row(database)[0] == "finished", timeout=60, interval=0.1)
    return statuses(database), time.monotonic() - started


def assert_each_unfinished_page_checked_once_after_restart(before, after, requests_after):
    checked = {"exists", "missing"}
    expected = Counter({title: 1 for title, status in before.items() if status not in checked})
    assert set(after.values()) == {"exists"}
    assert len(after) == PAGES
    assert Counter(requests_after) == expected


def test_sigkill_mid_batch_loses_nothing_and_checks_nothing_twice(server, fake_wiki_server):
    server.start()

    before, _ = submit_and_stop_midway(server, signal.SIGKILL)
    after, seconds = restart_and_finish(server, fake_wiki_server)

    database = server.env["DATABASE_URL"].removeprefix("sqlite:///")
    print(f"after a SIGKILL, the batch finished {seconds:.1f} s after the restart")
    assert seconds < RESTART_FINISH_SECONDS
    assert 0 < sum(status == "exists" for status in before.values()) < PAGES
    assert "running" in before.values(), "some checks were in flight at the kill"
    assert batch_row(database) == ("finished", PAGES, PAGES)
    assert_each_unfinished_page_checked_once_after_restart(
        before, after, fake_wiki_server.requests_by_title
    )


def test_sigterm_exits_promptly_and_the_rest_is_checked_after_restart(server, fake_wiki_server):
    server.start()

    before, exit_seconds = submit_and_stop_midway(server, signal.SIGTERM)
    after, _ = restart_and_finish(server, fake_wiki_server)

    assert exit_seconds < 5
    assert "running" not in before.values(), "checks in flight are stored before exiting"
    assert sum(status == "pending" for status in before.values()) > 0
    assert_each_unfinished_page_checked_once_after_restart(
        before, after, fake_wiki_server.requests_by_title
    )


def test_two_server_processes_never_check_the_same_row(server, fake_wiki_server, tmp_path):
    database = server.env["DATABASE_URL"].removeprefix("sqlite:///")
    # The second process learns of the batch by its sweep: soon enough to share it.
    server.env["WIKICHECK_SWEEP_SECONDS"] = "0.5"
    second = ServerProcess(port=free_port(), env=server.env)
    server.start()
    second.start()
    try:
        submit(server, [f"Shared {n}" for n in range(PAGES)])
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


def test_a_killed_process_s_rows_are_finished_by_the_live_one(server, fake_wiki_server):
    database = server.env["DATABASE_URL"].removeprefix("sqlite:///")
    survivor = ServerProcess(port=free_port(), env=server.env)
    server.start()
    survivor.start()
    try:
        submit(server, [f"Shared {n}" for n in range(PAGES)])
        wait_until(lambda: batch_row(database)[1] >= PAGES // 4)
        server.stop(signal.SIGKILL)
        killed_at = time.monotonic()
        held = statuses(database)
        wait_until(lambda: batch_row(database)[0] == "finished", timeout=60, interval=0.1)
        seconds = time.monotonic() - killed_at
    finally:
        survivor.stop(signal.SIGKILL)

    print(f"the live process finished the batch {seconds:.1f} s after the other was killed")
    assert seconds < TAKEOVER_SECONDS
    assert set(statuses(database).values()) == {"exists"}
    in_flight = {title for title, status in held.items() if status == "running"}
    twice = {title for title, count in fake_wiki_server.requests_by_title.items() if count > 1}
    assert twice <= in_flight


def test_a_slow_check_on_a_live_process_is_left_to_it(server, fake_wiki_server):
    database = server.env["DATABASE_URL"].removeprefix("sqlite:///")
    fake_wiki_server.slow_seconds = SLOW_CHECK_SECONDS
    other = ServerProcess(port=free_port(), env=server.env)
    server.start()
    other.start()
    try:
        submit(server, ["Fault:slow-headers", "Ocean"], mode="page", timeout="120")
        wait_until(
            lambda: batch_row(database)[0] == "finished",
            timeout=SLOW_CHECK_SECONDS + 30,
            interval=0.5,
        )
    finally:
        other.stop(signal.SIGKILL)
        fake_wiki_server.slow_seconds = 5.0

    assert statuses(database) == {"Fault:slow-headers": "exists", "Ocean": "exists"}
    assert fake_wiki_server.requests_by_title["Fault:slow-headers"] == 1
