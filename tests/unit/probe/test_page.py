"""The page check: HEAD (or GET) one page and turn the answer, or the failure, into an Outcome."""

import socket
import time

import pytest
from werkzeug import Response

from checks.probe.outcome import Verdict
from checks.probe.page import page_check
from checks.probe.session import WikiSession

TIMEOUT = (2.0, 2.0)


def test_200_means_the_page_exists(httpserver, session):
    httpserver.expect_request("/wiki/Ocean", method="HEAD").respond_with_data("", status=200)

    outcome = page_check(httpserver.url_for("/wiki/Ocean"), session=session, timeout=TIMEOUT)

    assert (outcome.verdict, outcome.http_status, outcome.error) == (Verdict.EXISTS, 200, "")
    assert outcome.elapsed_ms >= 0
    assert outcome.checked_at.tzinfo is not None


def test_404_means_the_page_does_not_exist(httpserver, session):
    httpserver.expect_request("/wiki/Nope", method="HEAD").respond_with_data("", status=404)

    outcome = page_check(httpserver.url_for("/wiki/Nope"), session=session, timeout=TIMEOUT)

    assert (outcome.verdict, outcome.http_status) == (Verdict.MISSING, 404)


@pytest.mark.parametrize("status", [403, 500, 503])
def test_other_statuses_are_unknown_with_their_code(httpserver, session, status):
    httpserver.expect_request("/wiki/Odd", method="HEAD").respond_with_data("", status=status)

    outcome = page_check(httpserver.url_for("/wiki/Odd"), session=session, timeout=TIMEOUT)

    assert (outcome.verdict, outcome.http_status) == (Verdict.UNKNOWN, status)


@pytest.mark.parametrize("refusal", [405, 501])
def test_refused_head_falls_back_to_get(httpserver, session, refusal):
    httpserver.expect_request("/wiki/Ocean", method="HEAD").respond_with_data("", status=refusal)
    httpserver.expect_request("/wiki/Ocean", method="GET").respond_with_data("<html>", status=200)

    outcome = page_check(httpserver.url_for("/wiki/Ocean"), session=session, timeout=TIMEOUT)

    assert (outcome.verdict, outcome.http_status) == (Verdict.EXISTS, 200)
    assert [request.method for request, _ in httpserver.log] == ["HEAD", "GET"]


def test_connection_refused_is_an_error_saying_so():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    session = WikiSession(user_agent="wikicheck-test", allowed_hosts=[f"127.0.0.1:{port}"])

    outcome = page_check(f"http://127.0.0.1:{port}/wiki/Ocean", session=session, timeout=TIMEOUT)

    assert outcome.verdict == Verdict.ERROR
    assert outcome.http_status is None
    assert outcome.error == "ConnectionRefused: the server refused the connection"


def test_slow_answer_is_a_read_timeout(httpserver, session):
    def slow(request):
        time.sleep(0.5)  # the server being slow, not the test waiting
        return Response("", status=200)

    httpserver.expect_request("/wiki/Slow", method="HEAD").respond_with_handler(slow)

    outcome = page_check(httpserver.url_for("/wiki/Slow"), session=session, timeout=(1.0, 0.1))

    assert outcome.verdict == Verdict.ERROR
    assert outcome.error.startswith("ReadTimeout: ")
