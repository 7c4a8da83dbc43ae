"""A check's wall-clock deadline over the sockets its requests use (checks/probe/deadline.py)."""

import socket
import time
from collections.abc import Iterator

import pytest
import requests

from checks.probe.deadline import check_deadline, deadline_start, socket_watch
from checks.probe.session import WikiSession
from fakewiki.server import FakeWiki
from tests.support import wait_until


@pytest.fixture
def connected() -> Iterator[tuple[socket.socket, socket.socket]]:
    """Two connected sockets: the check reads the first, the "server" writes the second."""
    ours, theirs = socket.socketpair()
    with ours, theirs:
        yield ours, theirs


def drip_url(wiki: FakeWiki) -> str:
    return wiki.wiki_url + "Fault:drip-headers"


def another_deadline_passes(*, seconds: float) -> None:
    """Block in another check until its deadline wakes it: the watchdog has run `seconds` on."""
    ours, theirs = socket.socketpair()
    with ours, theirs, check_deadline(seconds=seconds):
        socket_watch(ours)
        ours.recv(1)


# --- Sockets -----------------------------------------------------------------------------------


def test_a_read_blocked_past_the_deadline_is_woken(connected) -> None:
    ours, _ = connected

    with check_deadline(seconds=0.3) as deadline:
        started = time.monotonic()
        socket_watch(ours)
        received = ours.recv(1)
        waited = time.monotonic() - started

    assert received == b""
    assert deadline.expired
    assert 0.3 <= waited < 1.3


def test_a_check_that_ends_in_time_has_not_expired(connected) -> None:
    ours, theirs = connected

    with check_deadline(seconds=5) as deadline:
        socket_watch(ours)
        theirs.sendall(b"x")
        received = ours.recv(1)

    assert (received, deadline.expired) == (b"x", False)


def test_no_socket_is_shut_after_its_check_ended(connected) -> None:
    ours, theirs = connected
    with check_deadline(seconds=0.2):
        socket_watch(ours)
    another_deadline_passes(seconds=0.4)

    theirs.sendall(b"x")

    assert ours.recv(1) == b"x"


def test_a_socket_watched_after_the_deadline_passed_is_shut_at_once(connected) -> None:
    ours, _ = connected
    with check_deadline(seconds=0.1) as deadline:
        deadline_start()
        wait_until(lambda: deadline.expired)
        started = time.monotonic()

        socket_watch(ours)
        received = ours.recv(1)

    assert received == b""
    assert time.monotonic() - started < 0.5


def test_a_socket_outside_any_check_is_never_shut(connected) -> None:
    ours, theirs = connected
    socket_watch(ours)
    another_deadline_passes(seconds=0.2)

    theirs.sendall(b"x")

    assert ours.recv(1) == b"x"


def test_the_clock_starts_at_the_first_request_not_before(connected) -> None:
    ours, theirs = connected

    with check_deadline(seconds=0.3) as deadline:
        time.sleep(0.5)  # waiting for a per-host slot, say: no request is sent meanwhile
        socket_watch(ours)
        theirs.sendall(b"x")
        received = ours.recv(1)

    assert (received, deadline.expired) == (b"x", False)


# --- Requests a session sends ------------------------------------------------------------------


def test_a_request_dripping_its_headers_ends_at_the_deadline(
    wiki: FakeWiki, session: WikiSession
) -> None:
    started = time.monotonic()

    with check_deadline(seconds=2.5) as deadline, pytest.raises(requests.ConnectionError):
        session.head(drip_url(wiki), timeout=(2, 2))

    assert deadline.expired
    assert 2.5 <= time.monotonic() - started < 3.5


def test_a_kept_alive_connection_is_under_the_next_checks_deadline(
    wiki: FakeWiki, session: WikiSession
) -> None:
    with check_deadline(seconds=5):
        session.head(wiki.wiki_url + "Ocean", timeout=(2, 2))
    started = time.monotonic()

    with check_deadline(seconds=2.5) as deadline, pytest.raises(requests.ConnectionError):
        session.head(drip_url(wiki), timeout=(2, 2))

    assert deadline.expired
    assert 2.5 <= time.monotonic() - started < 3.5
    assert wiki.connections_total == 1
