"""The MediaWiki Action API client: many titles in one request, each with its own outcome."""

import pytest

from checks.probe.mediawiki import api_endpoint, titles_check
from checks.probe.outcome import Verdict
from fakewiki.unreachable import free_port

TIMEOUT = (2.0, 2.0)


def test_a_redirect_to_a_section_keeps_the_section(fake_wiki, session):
    outcomes = titles_check(
        api_url=fake_wiki.url + "/w/api.php",
        titles=["Redirect to Ocean#Depth"],
        session=session,
        timeout=TIMEOUT,
    )

    assert outcomes["Redirect to Ocean#Depth"].redirect_target == "Ocean#Depth"


def test_maxlag_is_waited_out_and_then_answered(fake_wiki, session):
    fake_wiki.maxlag_failures = 2
    fake_wiki.maxlag_retry_after = 0

    outcomes = titles_check(
        api_url=fake_wiki.url + "/w/api.php", titles=["Ocean"], session=session, timeout=TIMEOUT
    )

    assert outcomes["Ocean"].verdict == Verdict.EXISTS
    assert fake_wiki.api_requests == 3


def test_lasting_maxlag_is_recorded_as_unknown(fake_wiki, session):
    fake_wiki.maxlag_failures = 10
    fake_wiki.maxlag_retry_after = 0

    outcomes = titles_check(
        api_url=fake_wiki.url + "/w/api.php",
        titles=["Ocean", "Island"],
        session=session,
        timeout=TIMEOUT,
        maxlag_retries=2,
    )

    assert {o.verdict for o in outcomes.values()} == {Verdict.UNKNOWN}
    assert outcomes["Ocean"].error.startswith("API error maxlag: Waiting for db1")
    assert fake_wiki.api_requests == 3


def test_requests_ask_for_gzip_and_send_maxlag(fake_wiki, session):
    titles_check(
        api_url=fake_wiki.url + "/w/api.php", titles=["Ocean"], session=session, timeout=TIMEOUT
    )

    assert "gzip" in fake_wiki.last_accept_encoding
    assert fake_wiki.last_user_agent == "wikicheck-test"


def test_an_unreachable_api_fails_every_title_with_the_reason(session):
    outcomes = titles_check(
        api_url=f"http://127.0.0.1:{free_port()}/w/api.php",
        titles=["Ocean", "Island"],
        session=session,
        timeout=(1, 1),
    )

    assert {o.error for o in outcomes.values()} == {
        "ConnectionRefused: the server refused the connection"
    }


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://en.wikipedia.org/wiki/Ocean", "https://en.wikipedia.org/w/api.php"),
        ("https://de.wikipedia.org/wiki/Meer", "https://de.wikipedia.org/w/api.php"),
        ("https://wiki.example.org/wiki/Page", ""),
    ],
)
def test_api_endpoint_comes_from_the_host_patterns(url, expected):
    endpoint = api_endpoint(url=url, api_paths=[("*.wikipedia.org", "/w/api.php")])

    assert endpoint == expected


def test_a_failing_api_answers_every_title_with_its_status(httpserver, session):
    httpserver.expect_request("/w/api.php").respond_with_data("", status=503)

    outcomes = titles_check(
        api_url=httpserver.url_for("/w/api.php"),
        titles=["Ocean", "Island"],
        session=session,
        timeout=TIMEOUT,
    )

    assert {(o.verdict, o.http_status) for o in outcomes.values()} == {(Verdict.UNKNOWN, 503)}
    assert outcomes["Ocean"].error.startswith("HTTP 503 ")


def test_an_api_answer_that_is_not_json_is_an_error_for_every_title(httpserver, session):
    httpserver.expect_request("/w/api.php").respond_with_data("<html>maintenance</html>")

    outcomes = titles_check(
        api_url=httpserver.url_for("/w/api.php"),
        titles=["Ocean", "Island"],
        session=session,
        timeout=TIMEOUT,
    )

    assert {(o.verdict, o.error) for o in outcomes.values()} == {
        (Verdict.ERROR, "BadResponse: the API did not answer JSON")
    }


def test_a_malformed_redirect_from_the_api_is_blocked_for_every_title(wiki, session):
    # The fake wiki answers the fault wherever its title is the path, query string or not.
    api_url = wiki.wiki_url + "Fault:redirect-malformed"

    outcomes = titles_check(
        api_url=api_url, titles=["Ocean", "Sea"], session=session, timeout=TIMEOUT
    )

    assert {title: outcome.error for title, outcome in outcomes.items()} == {
        title: "RedirectBlocked: the redirect target 'http://h:1:2/wiki/Ocean' is not a valid URL"
        for title in ["Ocean", "Sea"]
    }
