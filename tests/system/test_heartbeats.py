"""A process whose PID lives on but which has stopped (SIGSTOP), as a process on another machine
looks: only its missed heartbeat tells, and a live process takes over its rows.

Runs on PostgreSQL (the suite's second run): a process frozen while it holds SQLite's one write
lock stops every other process too, which no heartbeat can help.
"""

import os
import signal
import time
from collections import Counter

import pytest
from django.db import connection

from checks.models import Batch, CheckProcess, Result
from fakewiki.unreachable import free_port
from tests.support import ServerProcess, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

PAGES = 300
PASSWORD = "frozen-pass-123"
# Issue #13's bound, with the default heartbeat (5 s, taken for dead after 20 s) and sweep (5 s).
TAKEOVER_SECONDS = 30


@pytest.fixture
def servers(fake_wiki_server, django_user_model):
    if connection.vendor != "postgresql":
        pytest.skip("a frozen process may hold SQLite's write lock: the PostgreSQL run covers this")
    django_user_model.objects.create_user(username="frozen-user", password=PASSWORD)
    fake_wiki_server.reset()
    fake_wiki_server.latency_ms = 100
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        ),
        "WIKICHECK_ALLOWED_HOSTS": f"127.0.0.1:{fake_wiki_server.port}",
        "WIKICHECK_DEFAULT_WIKI": fake_wiki_server.wiki_url,
    }
    pair = [ServerProcess(port=free_port(), env=env) for _ in range(2)]
    try:
        for server in pair:
            server.start()
        yield pair
    finally:
        for server in pair:
            if server.process is not None and server.process.poll() is None:
                server.process.send_signal(signal.SIGCONT)
                server.stop(signal.SIGKILL)
        fake_wiki_server.latency_ms = 0


def submit(server: ServerProcess, titles: list[str]) -> Batch:
    session = server.login(username="frozen-user", password=PASSWORD)
    response = session.post(
        server.url + "/",
        data={"urls": "\n".join(titles), "wiki": server.env["WIKICHECK_DEFAULT_WIKI"]},
        headers={"X-CSRFToken": session.cookies["csrftoken"], "Referer": server.url + "/"},
        timeout=30,
    )
    assert response.status_code == 200, response.text[-2000:]
    return Batch.objects.get()


def stuck(batch: Batch) -> str:
    """What a batch that did not finish was waiting on: its rows, the registry and the database's
    sessions (a lock held by the frozen process's session would show here)."""
    rows = Counter(batch.results.values_list("status", flat=True))
    processes = list(CheckProcess.objects.values_list("pid", "kind", "heartbeat_at"))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, state, wait_event_type, wait_event, now() - state_change, left(query, 120)"
            " FROM pg_stat_activity WHERE datname = current_database()"
        )
        sessions = "\n".join(map(str, cursor.fetchall()))
    return f"rows: {dict(rows)}\nprocesses: {processes}\nsessions:\n{sessions}"


def test_a_frozen_process_s_rows_are_taken_over_once_its_heartbeat_is_missed(
    servers, fake_wiki_server
):
    frozen, live = servers
    batch = submit(frozen, [f"Shared {n}" for n in range(PAGES)])
    wait_until(lambda: Batch.objects.get(pk=batch.pk).done >= PAGES // 4)

    frozen.process.send_signal(signal.SIGSTOP)
    frozen_at = time.monotonic()
    held = set(batch.results.filter(status=Result.Status.RUNNING).values_list("title", flat=True))
    try:
        wait_until(
            lambda: Batch.objects.get(pk=batch.pk).status == "finished", timeout=60, interval=0.1
        )
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{stuck(batch)}") from None
    seconds = time.monotonic() - frozen_at
    frozen.process.send_signal(signal.SIGCONT)
    # Woken, it finds its entry gone and registers again; its late outcomes change nothing.
    wait_until(lambda: CheckProcess.objects.filter(pid=frozen.process.pid).exists(), timeout=30)

    batch.refresh_from_db()
    print(f"the live process finished the batch {seconds:.1f} s after the other froze")
    assert seconds < TAKEOVER_SECONDS
    assert (batch.done, batch.exists_count) == (PAGES, PAGES)
    assert set(batch.results.values_list("status", flat=True)) == {"exists"}
    twice = {title for title, count in fake_wiki_server.requests_by_title.items() if count > 1}
    assert twice <= held
    assert live.process.poll() is None
