"""The fake wiki's fault modes, `Fault:<mode>` titles that misbehave (fakewiki/faults.py)."""

import contextlib
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from fakewiki import faults
from fakewiki.server import FakeWiki
from tests.support import wait_until
from tests.unit.fakewiki.clients import QUERY, api_url


def fault_url(wiki: FakeWiki, mode: str) -> str:
    return wiki.wiki_url + "Fault:" + mode


# --- Statuses and redirects --------------------------------------------------------------------


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


# --- Broken connections and malformed answers --------------------------------------------------


def test_slow_headers_makes_the_client_time_out_reading(wiki: FakeWiki) -> None:
    with pytest.raises(requests.ReadTimeout):
        requests.head(fault_url(wiki, "slow-headers"), timeout=(1, 0.2))


@pytest.mark.parametrize("mode", ["slow-headers", "drip-headers"])
def test_stop_ends_a_stalled_answer_at_once(wiki: FakeWiki, mode: str) -> None:
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(requests.get, fault_url(wiki, mode), timeout=(1, 10))
        wait_until(lambda: wiki.requests_total == 1)
        started = time.perf_counter()

        wiki.stop()

        assert time.perf_counter() - started < 1
        assert isinstance(pending.exception(timeout=5), requests.ConnectionError)


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


@pytest.mark.parametrize("method", ["HEAD", "GET"])
def test_drip_headers_outlasts_a_read_timeout_longer_than_its_interval(
    wiki: FakeWiki, monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    monkeypatch.setattr(faults, "DRIP_INTERVAL_SECONDS", 0.05)
    wiki.slow_seconds = 0.1  # the server gives up after a second
    started = time.perf_counter()

    response = requests.request(method, fault_url(wiki, "drip-headers"), timeout=(1, 0.5))

    # Cut short by the server, not by the read timeout: the headers up to there were the answer.
    assert time.perf_counter() - started >= 1
    assert response.status_code == 200


def test_drip_headers_sends_the_status_line_a_byte_at_a_time(wiki: FakeWiki) -> None:
    with socket.create_connection(("127.0.0.1", wiki.port), timeout=5) as client:
        client.sendall(b"HEAD /wiki/Fault:drip-headers HTTP/1.1\r\nHost: wiki\r\n\r\n")
        first = client.recv(100)
        started = time.perf_counter()
        second = client.recv(100)

        assert (first, second) == (b"H", b"T")
        assert time.perf_counter() - started >= faults.DRIP_INTERVAL_SECONDS - 0.1


@pytest.mark.parametrize(
    ("mode", "error"),
    [
        ("reset", "reset by peer"),
        ("close", "without response"),
        ("huge-headers", "got more than 65536 bytes"),
        ("many-headers", "got more than 100 headers"),
        ("bad-status", "BadStatusLine"),
    ],
)
def test_broken_answer_makes_the_client_raise_connection_error(
    wiki: FakeWiki, mode: str, error: str
) -> None:
    with pytest.raises(requests.ConnectionError, match=error):
        requests.get(fault_url(wiki, mode))


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
    "drip-headers",
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


# --- In api.php requests -----------------------------------------------------------------------


def api_get(wiki: FakeWiki, *titles: str, **options: object) -> requests.Response:
    return requests.get(api_url(wiki), params={**QUERY, "titles": "|".join(titles)}, **options)


@pytest.mark.parametrize("status", [403, 500, 503])
def test_api_request_with_a_fault_title_answers_as_its_mode_says(
    wiki: FakeWiki, status: int
) -> None:
    response = api_get(wiki, "Ocean", f"Fault:{status}", "Island")

    assert response.status_code == status
    assert response.text == f"Fault:{status}\n"


def test_first_fault_title_of_an_api_request_decides(wiki: FakeWiki) -> None:
    response = api_get(wiki, "Ocean", "Fault:503", "Fault:404")

    assert response.status_code == 503


def test_api_request_posted_with_a_fault_title_answers_as_its_mode_says(wiki: FakeWiki) -> None:
    response = requests.post(api_url(wiki), data={**QUERY, "titles": "Ocean|Fault:502"})

    assert response.status_code == 502


def test_api_slow_headers_makes_the_client_time_out_reading(wiki: FakeWiki) -> None:
    with pytest.raises(requests.ReadTimeout):
        api_get(wiki, "Ocean", "Fault:slow-headers", timeout=(1, 0.2))


def test_api_then_200_mode_fails_then_answers_the_query(
    wiki: FakeWiki, session: requests.Session
) -> None:
    wiki.flaky_failures = 1

    first = session.get(api_url(wiki), params={**QUERY, "titles": "Ocean|Fault:503-then-200"})
    second = session.get(api_url(wiki), params={**QUERY, "titles": "Ocean|Fault:503-then-200"})

    assert (first.status_code, first.headers["Retry-After"]) == (503, "1")
    titles = [page["title"] for page in second.json()["query"]["pages"]]
    assert (second.status_code, titles) == (200, ["Ocean", "Fault:503-then-200"])


def test_api_fault_requests_are_counted_as_api_requests_not_page_requests(
    wiki: FakeWiki,
) -> None:
    api_get(wiki, "Ocean", "Fault:500")

    assert (wiki.api_requests, wiki.api_titles_by_title) == (1, {"Ocean": 1, "Fault:500": 1})
    assert wiki.requests_by_title == {}


def test_generator_source_titled_fault_is_no_fault(wiki: FakeWiki) -> None:
    params = {**QUERY, "generator": "links", "titles": "Fault:500"}

    response = requests.get(api_url(wiki), params=params)

    assert (response.status_code, response.json()) == (200, {"batchcomplete": True})
