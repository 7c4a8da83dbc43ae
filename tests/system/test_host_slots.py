"""The per-host cap kept in Redis (checks/probe/host_slots.py), against a real redis-server."""

import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest
import redis

from checks.probe import host_slots
from checks.probe.host_slots import redis_host_slot
from checks.probe.outcome import Verdict
from checks.probe.page import page_check
from checks.probe.session import WikiSession
from fakewiki.server import FakeWiki
from fakewiki.unreachable import free_port
from tests.support import ROOT, wait_until

TIMEOUT = (2.0, 5.0)

# Sends 8 threads' worth of requests through capped WikiSessions once a line arrives on stdin,
# so that two such processes start at the same moment.
SENDER = """
import sys, threading
from concurrent.futures import ThreadPoolExecutor
from checks.probe.session import WikiSession

wiki_url, host, redis_url = sys.argv[1:]
barrier = threading.Barrier(8)

def send(number):
    with WikiSession(
        user_agent="wikicheck-test",
        allowed_hosts=[host],
        host_limits=[(host, 3)],
        host_limiter_url=redis_url,
    ) as session:
        barrier.wait()
        for attempt in range(3):
            session.head(f"{wiki_url}Page_{number}_{attempt}", timeout=10).raise_for_status()

print("ready", flush=True)
sys.stdin.readline()
with ThreadPoolExecutor(max_workers=8) as pool:
    list(pool.map(send, range(8)))
"""

# Reads Redis's clock, takes a slot, says when it started trying, then holds the slot forever.
HOLDER = """
import sys, threading, redis
from checks.probe.host_slots import redis_host_slot

url, redis_url, lease = sys.argv[1], sys.argv[2], float(sys.argv[3])
seconds, micros = redis.Redis.from_url(redis_url).time()
with redis_host_slot(url=url, limit=2, redis_url=redis_url, lease_seconds=lease):
    print(seconds * 1000 + micros // 1000, flush=True)
    threading.Event().wait()
"""


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    """A client of the test Redis, with no slots left over from earlier tests."""
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(match=host_slots.KEY_PREFIX + "*"):
        client.delete(key)
    yield client
    client.close()


@pytest.fixture
def wiki() -> Iterator[FakeWiki]:
    with FakeWiki(latency_ms=50) as server:
        yield server


def redis_now_ms(client: redis.Redis) -> int:
    seconds, micros = client.time()
    return seconds * 1000 + micros // 1000


def python_process(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_processes_together_never_exceed_the_cap(
    wiki: FakeWiki, redis_client: redis.Redis, redis_url: str
) -> None:
    host = f"127.0.0.1:{wiki.port}"
    senders = [python_process(SENDER, wiki.wiki_url, host, redis_url) for _ in range(2)]
    for sender in senders:
        assert sender.stdout.readline() == "ready\n", sender.communicate()[1]

    for sender in senders:
        sender.stdin.write("go\n")
        sender.stdin.flush()
    results = [sender.communicate(timeout=60) for sender in senders]

    assert [sender.returncode for sender in senders] == [0, 0], results
    assert wiki.requests_total == 2 * 8 * 3
    assert wiki.peak_concurrency_by_host[host] == 3


def test_slot_of_a_killed_process_frees_itself_after_the_lease(
    redis_client: redis.Redis, redis_url: str
) -> None:
    url, lease_seconds = "http://killed.example/wiki/Ocean", 2.0
    holder = python_process(HOLDER, url, redis_url, str(lease_seconds))
    line = holder.stdout.readline()
    assert line, holder.communicate()[1]
    holder_started_ms = int(line)
    holder.kill()
    holder.wait()
    taken_at_ms: list[int] = []
    # Live holders' longer leases keep the key alive, as steady traffic would: only the dead
    # holder's own lease can free its slot.
    live_lease_seconds = 60

    def take_a_slot() -> None:
        with redis_host_slot(
            url=url, limit=2, redis_url=redis_url, lease_seconds=live_lease_seconds
        ):
            taken_at_ms.append(redis_now_ms(redis_client))

    with redis_host_slot(url=url, limit=2, redis_url=redis_url, lease_seconds=live_lease_seconds):
        first_at_ms = redis_now_ms(redis_client)
        waiter = threading.Thread(target=take_a_slot)
        waiter.start()
        wait_until(lambda: taken_at_ms, timeout=lease_seconds + 15)
    waiter.join()

    assert first_at_ms < holder_started_ms + lease_seconds * 1000
    assert taken_at_ms[0] >= holder_started_ms + lease_seconds * 1000


def test_release_wakes_a_waiter_without_waiting_for_its_poll(
    redis_client: redis.Redis, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(host_slots, "WAKE_POLL_SECONDS", 8.0)
    url = "http://wake.example/wiki/Ocean"
    waiter_has_slot = threading.Event()

    def wait_for_the_slot() -> None:
        with redis_host_slot(url=url, limit=1, redis_url=redis_url, lease_seconds=60):
            waiter_has_slot.set()

    with redis_host_slot(url=url, limit=1, redis_url=redis_url, lease_seconds=60):
        waiter = threading.Thread(target=wait_for_the_slot)
        waiter.start()
        wait_until(lambda: any(c["cmd"] == "blpop" for c in redis_client.client_list()))
        had_slot_while_held = waiter_has_slot.is_set()

    wait_until(waiter_has_slot.is_set, timeout=3)
    waiter.join()

    assert not had_slot_while_held


def session_without_redis(wiki: FakeWiki, *, cap: int) -> WikiSession:
    """A session capped at `cap` per host, whose limiter's Redis refuses connections."""
    host = f"127.0.0.1:{wiki.port}"
    return WikiSession(
        user_agent="wikicheck-test",
        allowed_hosts=[host],
        host_limits=[(host, cap)],
        host_limiter_url=f"redis://127.0.0.1:{free_port()}/0",
    )


def test_no_cap_never_asks_redis(wiki: FakeWiki) -> None:
    session = session_without_redis(wiki, cap=0)

    outcome = page_check(wiki.wiki_url + "Ocean", session=session, timeout=TIMEOUT)

    assert outcome.verdict == Verdict.EXISTS


def test_unreachable_redis_is_recorded_as_an_error_and_nothing_is_sent(wiki: FakeWiki) -> None:
    session = session_without_redis(wiki, cap=3)

    outcome = page_check(wiki.wiki_url + "Ocean", session=session, timeout=TIMEOUT)

    assert outcome.verdict == Verdict.ERROR
    assert outcome.error.startswith("HostLimiterUnavailable: the host limiter at redis://")
    assert wiki.requests_total == 0
