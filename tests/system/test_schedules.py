"""Schedules fire exactly once with two server processes on one database: each sweeps every
0.3 s and fires what is due, and every due list still becomes one batch."""

import os
import signal
import sqlite3
from collections import Counter

import pytest

from fakewiki.unreachable import free_port
from tests.support import ServerProcess, wait_until

pytestmark = pytest.mark.own_sqlite

LISTS = 20
SWEEP_SECONDS = "0.3"
MAKE_LISTS = """
from datetime import timedelta
from django.contrib.auth import get_user_model
from django.utils import timezone
from checks.models import SavedList

owner = get_user_model().objects.get(username="scheduler")
due = timezone.now() - timedelta(minutes=1)
SavedList.objects.bulk_create(
    SavedList(owner=owner, name=f"List {n}", entries="Ocean\\nMissing reef", wiki="WIKI",
              schedule="daily", next_run_at=due)
    for n in range(LISTS)
)
"""


@pytest.fixture
def servers(tmp_path, fake_wiki_server):
    fake_wiki_server.reset()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'schedules.sqlite3'}",
        "WIKICHECK_ALLOWED_HOSTS": f"127.0.0.1:{fake_wiki_server.port}",
        "WIKICHECK_DEFAULT_WIKI": fake_wiki_server.wiki_url,
        "WIKICHECK_SWEEP_SECONDS": SWEEP_SECONDS,
        "DJANGO_SUPERUSER_USERNAME": "scheduler",
        "DJANGO_SUPERUSER_PASSWORD": "schedule-pass-123",
    }
    first = ServerProcess(port=free_port(), env=env)
    first.manage("migrate", "--noinput")
    first.manage("ensure_superuser")
    second = ServerProcess(port=free_port(), env=env)
    yield first, second
    for server in (first, second):
        if server.process is not None:
            server.stop(signal.SIGKILL)


def runs_by_list(database: str) -> Counter:
    with sqlite3.connect(database) as db:
        rows = db.execute(
            "select saved_list_id from checks_batch where saved_list_id is not null"
        ).fetchall()
    return Counter(row[0] for row in rows)


def all_finished(database: str, expected: int) -> bool:
    with sqlite3.connect(database) as db:
        statuses = [row[0] for row in db.execute("select status from checks_batch")]
    return len(statuses) >= expected and set(statuses) == {"finished"}


def test_two_processes_fire_each_due_schedule_once(servers, fake_wiki_server):
    first, second = servers
    database = first.env["DATABASE_URL"].removeprefix("sqlite:///")
    code = MAKE_LISTS.replace("WIKI", fake_wiki_server.wiki_url).replace("LISTS", str(LISTS))
    first.manage("shell", "-c", code)

    first.start()
    second.start()
    wait_until(lambda: all_finished(database, LISTS), timeout=60)
    # Due again, while both processes sweep: each list gets exactly one more run.
    with sqlite3.connect(database) as db:
        db.execute("update checks_savedlist set next_run_at = '2000-01-01 00:00:00'")
    wait_until(lambda: all_finished(database, 2 * LISTS), timeout=60)

    runs = runs_by_list(database)
    assert sorted(runs.values()) == [2] * LISTS
    with sqlite3.connect(database) as db:
        later = db.execute("select min(next_run_at) from checks_savedlist").fetchone()[0]
        parents = db.execute(
            "select count(*) from checks_batch where parent_id is not null"
        ).fetchone()[0]
    assert later > "2026"
    # Each second run is compared with its list's first.
    assert parents == LISTS
