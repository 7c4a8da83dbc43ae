import socket
import time

import pytest
import requests
from werkzeug import Response

from checks.probe import page as checker
from checks.probe.mediawiki import titles_check
from checks.probe.page import Verdict, WikiSession, page_check, user_agent

TIMEOUT = (2.0, 2.0)


@pytest.fixture
def session(httpserver):
    with WikiSession(
        user_agent="wikicheck-test", allowed_hosts=[f"localhost:{httpserver.port}"]
    ) as session:
        yield session


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


def test_redirects_within_allowed_hosts_are_followed(httpserver, session):
    httpserver.expect_request("/wiki/Sea_Water", method="HEAD").respond_with_data(
        "", status=301, headers={"Location": "/wiki/Seawater"}
    )
    httpserver.expect_request("/wiki/Seawater", method="HEAD").respond_with_data("", status=200)

    outcome = page_check(httpserver.url_for("/wiki/Sea_Water"), session=session, timeout=TIMEOUT)

    assert (outcome.verdict, outcome.http_status) == (Verdict.EXISTS, 200)


def test_redirect_to_a_host_outside_the_allow_list_is_not_followed(httpserver, session):
    httpserver.expect_request("/wiki/Away", method="HEAD").respond_with_data(
        "", status=302, headers={"Location": "http://evil.example/steal"}
    )

    outcome = page_check(httpserver.url_for("/wiki/Away"), session=session, timeout=TIMEOUT)

    assert outcome.verdict == Verdict.ERROR
    assert outcome.error.startswith("RedirectBlocked: redirect to evil.example")


@pytest.fixture
def wiki_session(wiki):
    with WikiSession(
        user_agent="wikicheck-test", allowed_hosts=[f"127.0.0.1:{wiki.port}"]
    ) as session:
        yield session


def test_a_malformed_redirect_is_blocked_with_a_reason_saying_so(wiki, wiki_session):
    url = wiki.wiki_url + "Fault:redirect-malformed"

    outcome = page_check(url, session=wiki_session, timeout=TIMEOUT)

    assert (outcome.verdict, outcome.http_status) == (Verdict.ERROR, None)
    assert outcome.error == (
        "RedirectBlocked: the redirect target 'http://h:1:2/wiki/Ocean' is not a valid URL"
    )


def test_a_malformed_redirect_from_the_api_is_blocked_for_every_title(wiki, wiki_session):
    # The fake wiki answers the fault wherever its title is the path, query string or not.
    api_url = wiki.wiki_url + "Fault:redirect-malformed"

    outcomes = titles_check(
        api_url=api_url, titles=["Ocean", "Sea"], session=wiki_session, timeout=TIMEOUT
    )

    assert {title: outcome.error for title, outcome in outcomes.items()} == {
        title: "RedirectBlocked: the redirect target 'http://h:1:2/wiki/Ocean' is not a valid URL"
        for title in ["Ocean", "Sea"]
    }


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


def test_user_agent_names_the_tool_its_contact_and_requests():
    agent = user_agent(contact="ops@example.org")

    assert agent == (
        f"wikicheck/{checker.checks.__version__} (ops@example.org) requests/{requests.__version__}"
    )


def test_user_agent_is_sent_with_every_check(httpserver, session):
    httpserver.expect_request(
        "/wiki/Ocean", method="HEAD", headers={"User-Agent": "wikicheck-test"}
    ).respond_with_data("", status=200)

    outcome = page_check(httpserver.url_for("/wiki/Ocean"), session=session, timeout=TIMEOUT)

    assert outcome.http_status == 200
