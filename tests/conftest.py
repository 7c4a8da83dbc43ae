import os
import shutil
import subprocess
from pathlib import Path

import pytest
import redis
from django.conf import settings as django_settings

from checks.engine.backends import backend
from checks.engine.heartbeat import process_leave
from checks.watch.sweep import watch_idle
from fakewiki.server import FakeWiki
from fakewiki.unreachable import free_port
from tests.support import broker_use, wait_until


@pytest.fixture(scope="session", autouse=True)
def _pool_stopped_before_the_test_database_goes(django_db_setup):
    """The feeder keeps a connection; PostgreSQL cannot drop a test database still in use. The
    registry's entry of this process goes before its table does."""
    yield
    backend().shutdown(wait=True)
    process_leave()


@pytest.fixture(autouse=True)
def _pool_idle_before_the_tables_are_emptied(django_db_blocker):
    """A test that committed work may end while the pool still checks it; the feeder storing
    those outcomes while the tables are truncated deadlocks on PostgreSQL. Stopping the pool
    (checks in flight are stored first; nothing to do when there is none) lets the next test
    start a fresh one. The process leaves the registry too, so that no heartbeat runs between
    tests, and the next test's first claim registers it in that test's database."""
    yield
    backend().shutdown(wait=True)
    watch_idle(timeout=60)
    with django_db_blocker.unblock():
        process_leave()


@pytest.fixture(autouse=True)
def _no_background_sweeps(settings):
    """A feeder left running by an earlier test must not claim rows a test drives by hand.

    Sweeping is tested against real server processes (test_restarts.py).
    """
    settings.WIKICHECK_SWEEP_SECONDS = 3600
    # Nor fire a schedule or send a delivery that a test drives by hand.
    settings.WIKICHECK_LISTS_IN_SWEEP = False


@pytest.fixture(scope="session")
def fake_wiki_server():
    with FakeWiki() as server:
        yield server


@pytest.fixture
def wiki():
    """A fake wiki of the test's own, so no other test's requests reach its counters."""
    with FakeWiki() as server:
        yield server


@pytest.fixture
def fake_wiki(fake_wiki_server, settings):
    """The local fake wiki, allowed and chosen as the default wiki, with fresh counters."""
    fake_wiki_server.reset()
    fake_wiki_server.edits_clear()
    fake_wiki_server.latency_ms = 0
    fake_wiki_server.head_status = None
    fake_wiki_server.retry_after_seconds = 1
    fake_wiki_server.flaky_failures = 1
    fake_wiki_server.slow_seconds = 5.0
    fake_wiki_server.maxlag_failures = 0
    fake_wiki_server.maxlag_retry_after = 1
    fake_wiki_server.prop_continue_after = None
    settings.WIKICHECK_ALLOWED_HOSTS = ["*.wikipedia.org", f"127.0.0.1:{fake_wiki_server.port}"]
    settings.WIKICHECK_DEFAULT_WIKI = fake_wiki_server.wiki_url
    return fake_wiki_server


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(username="alice", password="wikicheck-pass-1")


@pytest.fixture
def other_user(django_user_model):
    return django_user_model.objects.create_user(username="bob", password="wikicheck-pass-2")


@pytest.fixture
def ocean_list(user, fake_wiki):
    """A daily list of three pages of the fake wiki, one of them missing."""
    from checks.watch.lists import list_save

    return list_save(
        owner=user,
        name="Ocean pages",
        entries="Ocean\nIsland\nMissing reef",
        wiki=fake_wiki.wiki_url,
        mode="api",
        schedule="daily",
    )


@pytest.fixture
def user_client(client, user):
    client.force_login(user)
    return client


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A real Redis server: the test command's (WIKICHECK_TEST_REDIS_URL), else one started here."""
    url = os.environ.get("WIKICHECK_TEST_REDIS_URL")
    if url:
        yield _database_of_this_worker(url)
        return
    if not shutil.which("redis-server"):
        pytest.fail(
            "redis-server is missing: run the suite with scripts/test.sh, which installs it"
        )
    port = free_port()
    server = subprocess.Popen(
        [
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        cwd=tmp_path_factory.mktemp("redis"),
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"

    def answers() -> bool:
        assert server.poll() is None, "redis-server exited"
        try:
            return redis.Redis.from_url(url).ping()
        except redis.ConnectionError:
            return False

    try:
        wait_until(answers, timeout=15)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def _database_of_this_worker(url: str) -> str:
    """Parallel test processes (pytest-xdist) share the Redis server, one database each, so one
    never flushes or consumes another's queue."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw-1")
    return f"{url.rsplit('/', 1)[0]}/{int(worker.removeprefix('gw')) + 1}"


@pytest.fixture
def celery_broker(redis_url, settings):
    """The Celery backend on, publishing to the real Redis server, emptied."""
    redis.Redis.from_url(redis_url).flushdb()
    settings.WIKICHECK_BACKEND = "celery"
    settings.CELERY_BROKER_URL = redis_url
    broker_use(redis_url)
    return redis_url


# The folder a test lives in says what it needs, and a marker of the same name selects it:
# `-m unit` (no database), `-m integration` (the database and threads), `-m system` (real
# server processes and load), `-m browser` (a real Chromium).
_LAYERS = ("unit", "integration", "system", "browser")


def pytest_collection_modifyitems(config, items):
    tests = Path(__file__).parent
    for item in items:
        layer = item.path.relative_to(tests).parts[0]
        if layer in _LAYERS:
            item.add_marker(layer)
    # A test whose servers keep their own SQLite database, or that checks only markup, would run
    # again, unchanged, in the PostgreSQL pass.
    if not django_settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        for item in items:
            if item.get_closest_marker("own_sqlite"):
                item.add_marker(pytest.mark.skip(reason="its own SQLite database: the SQLite pass"))
            elif item.get_closest_marker("markup"):
                item.add_marker(pytest.mark.skip(reason="markup only: the SQLite pass"))
    # The long tests go first, so that parallel test processes (pytest-xdist) do not end the run
    # waiting for one of them started last.
    items.sort(key=lambda item: item.get_closest_marker("system") is None)
