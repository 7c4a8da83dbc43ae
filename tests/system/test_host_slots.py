"""The per-host cap kept in Redis (checks/probe/host_slots.py), against a real redis-server."""

import multiprocessing
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from checks.probe import host_slots
from checks.probe.host_slots import held_slots_renew, redis_host_slot
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

# Takes a slot and holds it forever, renewing its lease five times a second as a heartbeat
# would; says when it has renewed it once.
HOLDER = """
import sys, threading
from checks.probe.host_slots import held_slots_renew, redis_host_slot

url, redis_url, lease = sys.argv[1], sys.argv[2], float(sys.argv[3])
with redis_host_slot(url=url, limit=2, redis_url=redis_url, lease_seconds=lease):
    print(held_slots_renew(), flush=True)
    while not threading.Event().wait(0.2):
        held_slots_renew()
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


@dataclass
class RedisServer:
    url: str
    process: subprocess.Popen

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis server of this test's own, which it may stop."""
    port = free_port()
    server = RedisServer(
        url=f"redis://127.0.0.1:{port}/0",
        process=subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", ""],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
        ),
    )
    wait_until(lambda: redis_answers(server.url), timeout=15)
    yield server
    server.stop()


def redis_answers(url: str) -> bool:
    try:
        return redis.Redis.from_url(url).ping()
    except redis.ConnectionError:
        return False


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


def test_slot_of_a_killed_process_frees_itself_one_lease_after_its_last_renewal(
    redis_client: redis.Redis, redis_url: str
) -> None:
    url, lease_seconds = "http://killed.example/wiki/Ocean", 2.0
    holder = python_process(HOLDER, url, redis_url, str(lease_seconds))
    assert holder.stdout.readline() == "1\n", holder.communicate()[1]
    # Past its first lease, so that only renewals can have kept the slot.
    started_ms = redis_now_ms(redis_client)
    wait_until(lambda: redis_now_ms(redis_client) > started_ms + lease_seconds * 1000)
    holder.kill()
    holder.wait()
    killed_at_ms = redis_now_ms(redis_client)
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
        waiter = threading.Thread(target=take_a_slot)
        waiter.start()
        wait_until(lambda: taken_at_ms, timeout=lease_seconds + 15)
    waiter.join()

    # Its last renewal came at most 0.2 s before the kill; 0.8 s more allows for a slow machine,
    # and 1 s after the lease for a waiter's poll.
    assert killed_at_ms + 1000 <= taken_at_ms[0] <= killed_at_ms + lease_seconds * 1000 + 1000


def test_slot_renewed_by_its_holder_is_kept_past_its_lease(
    redis_client: redis.Redis, redis_url: str
) -> None:
    url = "http://renewed.example/wiki/Ocean"
    released = threading.Event()
    taken_after_release: list[bool] = []

    def take_the_slot() -> None:
        with redis_host_slot(url=url, limit=1, redis_url=redis_url, lease_seconds=60):
            taken_after_release.append(released.is_set())

    with redis_host_slot(url=url, limit=1, redis_url=redis_url, lease_seconds=1):
        taker = threading.Thread(target=take_the_slot)
        taker.start()
        renewed = []
        # Three leases long, renewed five times a second as a heartbeat would.
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            renewed.append(held_slots_renew())
            threading.Event().wait(0.2)
        released.set()
    taker.join(timeout=15)

    assert set(renewed) == {1}
    assert taken_after_release == [True]


def test_released_slot_is_no_longer_renewed(redis_client: redis.Redis, redis_url: str) -> None:
    with redis_host_slot(url="http://done.example/", limit=1, redis_url=redis_url, lease_seconds=5):
        renewed_while_held = held_slots_renew()

    renewed_after = held_slots_renew()

    assert (renewed_while_held, renewed_after) == (1, 0)


def test_forked_child_renews_none_of_its_parents_slots(
    redis_client: redis.Redis, redis_url: str
) -> None:
    fork = multiprocessing.get_context("fork")

    with redis_host_slot(url="http://fork.example/", limit=1, redis_url=redis_url, lease_seconds=5):
        with ProcessPoolExecutor(max_workers=1, mp_context=fork) as child:
            renewed_by_child = child.submit(held_slots_renew).result(timeout=30)
        renewed_by_parent = held_slots_renew()

    assert (renewed_by_child, renewed_by_parent) == (0, 1)


def test_redis_outage_during_renewal_is_logged_not_raised(
    own_redis: "RedisServer", caplog: pytest.LogCaptureFixture
) -> None:
    slot = redis_host_slot(
        url="http://outage.example/", limit=1, redis_url=own_redis.url, lease_seconds=5
    )
    with slot:
        own_redis.stop()

        renewed = held_slots_renew()

    assert renewed == 0
    assert any(record.msg.startswith("could not renew") for record in caplog.records)


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
