"""Stand-ins for unreachable servers (fakewiki/unreachable.py)."""

import time

import pytest
import requests

from fakewiki.unreachable import BlackHole, free_port


def test_black_hole_makes_the_client_time_out_connecting() -> None:
    with BlackHole() as hole:
        started = time.perf_counter()

        with pytest.raises(requests.ConnectTimeout):
            requests.head(hole.url, timeout=(0.5, 0.5))

        assert time.perf_counter() - started < 2


def test_free_port_refuses_connections_at_once() -> None:
    started = time.perf_counter()

    with pytest.raises(requests.ConnectionError) as refused:
        requests.head(f"http://127.0.0.1:{free_port()}", timeout=(0.5, 0.5))

    assert not isinstance(refused.value, requests.ConnectTimeout)
    assert time.perf_counter() - started < 0.5
