"""The fake wiki's server and its HTTP plumbing: latency, connections, stopping
(fakewiki/server.py, fakewiki/handler.py)."""

import socket
import struct
import time

import pytest
import requests

from fakewiki.server import FakeWiki
from tests.support import wait_until
from tests.unit.fakewiki.clients import get_all_at_once


def test_latency_delays_each_answer(wiki: FakeWiki, session: requests.Session) -> None:
    wiki.latency_ms = 150
    started = time.perf_counter()

    session.get(wiki.wiki_url + "Earth")

    assert time.perf_counter() - started >= 0.150


# --- Connections -------------------------------------------------------------------------------


def test_keep_alive_serves_a_session_on_one_connection(
    wiki: FakeWiki, session: requests.Session
) -> None:
    for number in range(20):
        session.get(wiki.wiki_url + f"Page_{number}")

    assert wiki.connections_total == 1


def test_serves_64_clients_at_once(wiki: FakeWiki) -> None:
    wiki.latency_ms = 100

    responses = get_all_at_once([wiki.wiki_url + f"Page_{number}" for number in range(64)])

    assert [response.status_code for response in responses] == [200] * 64
    assert wiki.connections_total == 64


def test_client_hanging_up_mid_request_is_not_reported(
    wiki: FakeWiki, capsys: pytest.CaptureFixture[str]
) -> None:
    wiki.latency_ms = 100
    with socket.create_connection(("127.0.0.1", wiki.port)) as client:
        client.sendall(b"GET /wiki/Earth HTTP/1.1\r\nHost: localhost\r\n\r\n")
        wait_until(lambda: wiki.requests_total == 1)
        # A zero linger time makes close() reset the connection, so the answer meets a dead socket.
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    wait_until(lambda: wiki.snapshot()["connections_open"] == 0)

    response = requests.get(wiki.wiki_url + "Earth")

    assert response.status_code == 200
    assert capsys.readouterr().err == ""


def test_stop_ends_idle_keep_alive_connections(wiki: FakeWiki, session: requests.Session) -> None:
    session.get(wiki.wiki_url + "Earth")

    wiki.stop()

    with pytest.raises(requests.ConnectionError):
        session.get(wiki.wiki_url + "Earth")
