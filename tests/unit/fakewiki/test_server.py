"""The fake wiki that tests, benchmarks and demos run against (fakewiki/server.py)."""

import contextlib
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from fakewiki.__main__ import parser_build
from fakewiki.server import BlackHole, FakeWiki, free_port
from tests.support import ROOT as PROJECT_DIR


def wait_until(condition: Callable[[], bool], *, timeout: float = 5.0) -> None:
    """Poll `condition` until it holds, failing once `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met before the deadline"
        time.sleep(0.01)


def get_all_at_once(urls: list[str]) -> list[requests.Response]:
    """GET every URL from its own thread and connection, all released together by a barrier."""
    barrier = threading.Barrier(len(urls))

    def get(url: str) -> requests.Response:
        barrier.wait()
        return requests.get(url, timeout=10)

    with ThreadPoolExecutor(max_workers=len(urls)) as pool:
        return list(pool.map(get, urls))


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as client:
        yield client


# --- Answers -----------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_existing_title_answers_200(wiki: FakeWiki, method: str) -> None:
    response = requests.request(method, wiki.wiki_url + "Python_(programming_language)")

    assert response.status_code == 200


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize(
    "title", ["Missing_page", "missing_in_lower_case", "Page_that_does_not_exist", "DOES_NOT_EXIST"]
)
def test_missing_titles_answer_404(wiki: FakeWiki, method: str, title: str) -> None:
    response = requests.request(method, wiki.wiki_url + title)

    assert response.status_code == 404


def test_page_names_its_title_html_escaped(wiki: FakeWiki) -> None:
    response = requests.get(wiki.wiki_url + "Fish_%26_<chips>")

    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "<title>Fish &amp; &lt;chips&gt; - Fake wiki</title>" in response.text


def test_head_sends_the_get_headers_without_a_body(
    wiki: FakeWiki, session: requests.Session
) -> None:
    got = session.get(wiki.wiki_url + "Earth")

    head = session.head(wiki.wiki_url + "Earth")

    assert head.headers["Content-Length"] == got.headers["Content-Length"] != "0"
    assert head.content == b""


def test_other_paths_answer_404_with_a_text_body(wiki: FakeWiki) -> None:
    response = requests.get(wiki.url + "/robots.txt")

    assert response.status_code == 404
    assert response.text == "Not found\n"


def test_encoded_titles_are_decoded_and_counted_under_one_title(
    wiki: FakeWiki, session: requests.Session
) -> None:
    session.get(wiki.wiki_url + "Caf%C3%A9_au_lait")
    session.head(wiki.url + "/w/index.php?title=Caf%C3%A9_au_lait")

    assert wiki.requests_by_title == {"Café au lait": 2}


def test_head_status_rejects_head_but_not_get(wiki: FakeWiki, session: requests.Session) -> None:
    wiki.head_status = 405

    head = session.head(wiki.wiki_url + "Earth")
    got = session.get(wiki.wiki_url + "Earth")

    assert (head.status_code, head.content) == (405, b"")
    assert got.status_code == 200


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


# --- Counters ----------------------------------------------------------------------------------


def test_counters_count_requests_per_title_and_method(
    wiki: FakeWiki, session: requests.Session
) -> None:
    session.get(wiki.wiki_url + "Earth")
    session.head(wiki.wiki_url + "Earth")
    session.get(wiki.wiki_url + "Missing_moon")

    assert wiki.requests_total == 3
    assert wiki.requests_by_title == {"Earth": 2, "Missing moon": 1}
    assert wiki.requests_by_method == {"GET": 2, "HEAD": 1}


def test_peak_concurrency_counts_overlapping_requests(wiki: FakeWiki) -> None:
    wiki.latency_ms = 200

    get_all_at_once([wiki.wiki_url + "Earth"] * 4)

    assert wiki.peak_concurrency >= 4


def test_reset_zeroes_the_counters_but_keeps_the_knobs(
    wiki: FakeWiki, session: requests.Session
) -> None:
    wiki.latency_ms, wiki.head_status = 1, 405
    session.get(wiki.wiki_url + "Earth")

    wiki.reset()

    assert wiki.snapshot() == {
        "requests_total": 0,
        "requests_by_method": {},
        "requests_by_title": {},
        "connections_total": 0,
        "connections_open": 1,
        "peak_concurrency": 0,
        "peak_concurrency_by_host": {},
        "api_requests": 0,
        "api_titles_total": 0,
        "api_titles_by_title": {},
    }
    assert (wiki.latency_ms, wiki.head_status) == (1, 405)


def test_snapshot_reports_the_counters_as_plain_values(
    wiki: FakeWiki, session: requests.Session
) -> None:
    session.get(wiki.wiki_url + "Earth")

    snapshot = wiki.snapshot()

    assert snapshot == {
        "requests_total": 1,
        "requests_by_method": {"GET": 1},
        "requests_by_title": {"Earth": 1},
        "connections_total": 1,
        "connections_open": 1,
        "peak_concurrency": 1,
        "peak_concurrency_by_host": {f"127.0.0.1:{wiki.port}": 1},
        "api_requests": 0,
        "api_titles_total": 0,
        "api_titles_by_title": {},
    }
    assert type(snapshot["requests_by_title"]) is dict


def test_last_user_agent_records_what_the_client_sent(wiki: FakeWiki) -> None:
    requests.get(wiki.wiki_url + "Earth", headers={"User-Agent": "wikicheck-test/1.0"})

    assert wiki.last_user_agent == "wikicheck-test/1.0"


# --- Fault modes: statuses and redirects -------------------------------------------------------


def fault_url(wiki: FakeWiki, mode: str) -> str:
    return wiki.wiki_url + "Fault:" + mode


@pytest.mark.parametrize("status", [403, 500, 502, 503])
def test_fault_code_answers_that_status(wiki: FakeWiki, status: int) -> None:
    response = requests.head(fault_url(wiki, str(status)))

    assert response.status_code == status


def test_fault_429_carries_retry_after(wiki: FakeWiki) -> None:
    wiki.retry_after_seconds = 7

    response = requests.get(fault_url(wiki, "429"))

    assert (response.status_code, response.headers["Retry-After"]) == (429, "7")


@pytest.mark.parametrize("status", [429, 503])
def test_then_200_modes_fail_flaky_failures_times_with_retry_after_then_answer_200(
    wiki: FakeWiki, session: requests.Session, status: int
) -> None:
    wiki.flaky_failures = 2

    responses = [session.head(fault_url(wiki, f"{status}-then-200")) for _ in range(4)]

    assert [response.status_code for response in responses] == [status, status, 200, 200]
    assert [response.headers.get("Retry-After") for response in responses] == ["1", "1", None, None]


def test_fault_requests_are_counted_under_their_title(
    wiki: FakeWiki, session: requests.Session
) -> None:
    session.get(fault_url(wiki, "500"))
    session.head(wiki.url + "/w/index.php?title=Fault:500")
    session.get(fault_url(wiki, "429"))

    assert wiki.requests_by_title == {"Fault:500": 2, "Fault:429": 1}


def test_unknown_fault_mode_answers_400(wiki: FakeWiki) -> None:
    # Underscores are spaces in titles, so this is not the mode "429-then-200".
    response = requests.get(fault_url(wiki, "429_then_200"))

    assert response.status_code == 400
    assert "Unknown fault mode '429 then 200'" in response.text


def test_redirect_loop_makes_the_client_give_up(wiki: FakeWiki) -> None:
    with pytest.raises(requests.TooManyRedirects):
        requests.get(fault_url(wiki, "redirect-loop"))


def test_redirect_away_points_off_site(wiki: FakeWiki) -> None:
    response = requests.head(fault_url(wiki, "redirect-away"))

    assert (response.status_code, response.headers["Location"]) == (
        302,
        "http://evil.example/wiki/Ocean",
    )


def test_redirect_to_a_title_ends_at_that_page(wiki: FakeWiki) -> None:
    response = requests.get(fault_url(wiki, "redirect-to-Ocean"))

    assert [step.status_code for step in response.history] == [301]
    assert (response.status_code, response.url) == (200, wiki.wiki_url + "Ocean")


# --- Fault modes: broken connections and malformed answers -------------------------------------


def test_slow_headers_makes_the_client_time_out_reading(wiki: FakeWiki) -> None:
    with pytest.raises(requests.ReadTimeout):
        requests.head(fault_url(wiki, "slow-headers"), timeout=(1, 0.2))


def test_stop_ends_a_slow_headers_wait_at_once(wiki: FakeWiki) -> None:
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(requests.get, fault_url(wiki, "slow-headers"), timeout=(1, 10))
        wait_until(lambda: wiki.requests_total == 1)
        started = time.perf_counter()

        wiki.stop()

        assert time.perf_counter() - started < 1
        assert isinstance(pending.exception(timeout=5), requests.ConnectionError)


def test_reset_makes_the_client_see_a_connection_reset(wiki: FakeWiki) -> None:
    with pytest.raises(requests.ConnectionError, match="reset by peer"):
        requests.get(fault_url(wiki, "reset"))


def test_close_makes_the_client_see_a_connection_error(wiki: FakeWiki) -> None:
    with pytest.raises(requests.ConnectionError, match="without response"):
        requests.get(fault_url(wiki, "close"))


def test_trickle_rejects_head(wiki: FakeWiki) -> None:
    response = requests.head(fault_url(wiki, "trickle"))

    assert response.status_code == 405


def test_trickle_sends_headers_at_once_and_lets_the_client_hang_up(wiki: FakeWiki) -> None:
    started = time.perf_counter()

    response = requests.get(fault_url(wiki, "trickle"), stream=True, timeout=(1, 1))
    response.close()

    assert time.perf_counter() - started < 0.5
    assert (response.status_code, response.headers["Content-Length"]) == (200, "100000000")
    wait_until(lambda: wiki.snapshot()["connections_open"] == 0)


def test_huge_headers_make_the_client_raise_connection_error(wiki: FakeWiki) -> None:
    with pytest.raises(requests.ConnectionError, match="got more than 65536 bytes"):
        requests.get(fault_url(wiki, "huge-headers"))


def test_many_headers_make_the_client_raise_connection_error(wiki: FakeWiki) -> None:
    with pytest.raises(requests.ConnectionError, match="got more than 100 headers"):
        requests.get(fault_url(wiki, "many-headers"))


def test_bad_status_line_makes_the_client_raise_connection_error(wiki: FakeWiki) -> None:
    with pytest.raises(requests.ConnectionError, match="BadStatusLine"):
        requests.get(fault_url(wiki, "bad-status"))


FAULT_MODES = [
    "500",
    "429",
    "429-then-200",
    "503-then-200",
    "redirect-loop",
    "redirect-away",
    "redirect-to-Ocean",
    "slow-headers",
    "reset",
    "close",
    "trickle",
    "huge-headers",
    "many-headers",
    "bad-status",
    "no-such-mode",
]


@pytest.mark.parametrize("mode", FAULT_MODES)
def test_each_fault_ends_quietly_and_the_server_keeps_answering(
    wiki: FakeWiki, capsys: pytest.CaptureFixture[str], mode: str
) -> None:
    wiki.slow_seconds = 0.3
    with contextlib.suppress(requests.RequestException):
        requests.get(
            fault_url(wiki, mode), timeout=(1, 0.2), stream=True, allow_redirects=False
        ).close()
    wait_until(lambda: wiki.snapshot()["connections_open"] == 0)

    response = requests.get(wiki.wiki_url + "Earth")

    assert response.status_code == 200
    assert capsys.readouterr().err == ""


# --- Unreachable servers -----------------------------------------------------------------------


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


# --- Management command ------------------------------------------------------------------------


@pytest.fixture
def command_wiki_url() -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`python -m fakewiki` running on a free port, and its wiki URL once it answers."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "fakewiki", "--port", str(port)],
        cwd=PROJECT_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wiki_url = f"http://127.0.0.1:{port}/wiki/"

    def answers() -> bool:
        # A command that dies on start-up will never answer: fail now, showing why.
        assert process.poll() is None, process.communicate()[1]
        try:
            requests.head(wiki_url + "Earth", timeout=1)
        except requests.ConnectionError:
            return False
        return True

    try:
        wait_until(answers, timeout=15)
        yield process, wiki_url
    finally:
        process.kill()
        process.communicate()


def test_command_serves_the_fake_wiki(command_wiki_url: tuple[subprocess.Popen[str], str]) -> None:
    _, wiki_url = command_wiki_url

    found = requests.get(wiki_url + "Earth")
    missing = requests.get(wiki_url + "Missing_moon")

    assert (found.status_code, missing.status_code) == (200, 404)


def test_command_exits_cleanly_when_terminated(
    command_wiki_url: tuple[subprocess.Popen[str], str],
) -> None:
    process, wiki_url = command_wiki_url

    process.terminate()
    stdout, _ = process.communicate(timeout=5)

    assert process.returncode == 0
    assert f"Fake wiki on {wiki_url} (latency 0 ms)" in stdout


def test_command_help_lists_the_fault_modes() -> None:
    parser = parser_build()

    help_text = parser.format_help()

    assert "Fault:slow-headers" in help_text
    assert "Fault:redirect-to-<Title>" in help_text


def test_counters_can_be_read_and_reset_from_another_process(wiki):
    control = requests.Session()
    control.post(f"{wiki.url}/__fakewiki/reset", timeout=5)
    for title in ("Ocean", "Island"):
        requests.head(f"{wiki.wiki_url}{title}", timeout=5)

    stats = control.get(f"{wiki.url}/__fakewiki/stats", timeout=5).json()

    assert stats["requests_total"] == 2
    assert stats["requests_by_title"] == {"Ocean": 1, "Island": 1}
    assert stats["connections_total"] == 2


def test_peak_concurrency_by_host_is_keyed_by_host_header_and_reset(wiki: FakeWiki) -> None:
    wiki.latency_ms = 200
    by_ip = [wiki.wiki_url + "Earth"] * 3
    by_name = [f"http://localhost:{wiki.port}/wiki/Earth"] * 2
    get_all_at_once(by_ip + by_name)
    peaks = dict(wiki.peak_concurrency_by_host)

    wiki.reset()

    assert peaks == {f"127.0.0.1:{wiki.port}": 3, f"localhost:{wiki.port}": 2}
    assert wiki.snapshot()["peak_concurrency_by_host"] == {}
