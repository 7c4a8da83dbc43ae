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


# --- Redirects ---------------------------------------------------------------------------------


def test_a_redirect_records_its_target_and_the_final_url(httpserver, session):
    httpserver.expect_request("/wiki/Sea", method="HEAD").respond_with_data(
        "", status=301, headers={"Location": "/wiki/Ocean"}
    )
    httpserver.expect_request("/wiki/Ocean", method="HEAD").respond_with_data("", status=200)

    outcome = page_check(httpserver.url_for("/wiki/Sea"), session=session, timeout=TIMEOUT)

    assert (outcome.verdict, outcome.http_status) == (Verdict.EXISTS, 200)
    assert outcome.redirect_target == "Ocean"
    assert outcome.final_url == httpserver.url_for("/wiki/Ocean")


def test_a_redirect_to_the_capitalized_title_records_the_normalized_title(httpserver, session):
    httpserver.expect_request("/wiki/ocean_floor", method="HEAD").respond_with_data(
        "", status=301, headers={"Location": "/wiki/Ocean_floor"}
    )
    httpserver.expect_request("/wiki/Ocean_floor", method="HEAD").respond_with_data("")

    outcome = page_check(httpserver.url_for("/wiki/ocean_floor"), session=session, timeout=TIMEOUT)

    assert (outcome.normalized_title, outcome.redirect_target) == ("Ocean floor", "")
    assert outcome.final_url == httpserver.url_for("/wiki/Ocean_floor")


def test_a_page_reached_without_redirects_records_no_final_url(httpserver, session):
    httpserver.expect_request("/wiki/Ocean", method="HEAD").respond_with_data("", status=200)

    outcome = page_check(httpserver.url_for("/wiki/Ocean"), session=session, timeout=TIMEOUT)

    assert (outcome.final_url, outcome.redirect_target, outcome.normalized_title) == ("", "", "")


def test_a_redirect_to_a_missing_page_is_missing_with_its_target(fake_wiki, session):
    url = fake_wiki.wiki_url + "Redirect_to_Missing_thing"

    outcome = page_check(url, session=session, timeout=TIMEOUT)

    assert (outcome.verdict, outcome.redirect_target) == (Verdict.MISSING, "Missing thing")
    assert outcome.final_url == fake_wiki.wiki_url + "Missing_thing"


def test_a_redirect_to_a_section_keeps_the_section(fake_wiki, session):
    url = fake_wiki.wiki_url + "Redirect_to_Ocean%23Deep_water"

    outcome = page_check(url, session=session, timeout=TIMEOUT)

    assert outcome.redirect_target == "Ocean#Deep water"


def test_a_self_redirect_page_is_an_error_that_says_it_redirects_to_itself(fake_wiki, session):
    outcome = page_check(fake_wiki.wiki_url + "Self-redirect", session=session, timeout=TIMEOUT)

    assert (outcome.verdict, outcome.note) == (Verdict.ERROR, "redirects to itself")
    assert outcome.error.startswith("TooManyRedirects: ")


def test_a_redirect_loop_is_an_error_that_names_the_loop(fake_wiki, session):
    url = fake_wiki.wiki_url + "Redirect_loop_A"

    outcome = page_check(url, session=session, timeout=TIMEOUT)

    assert outcome.verdict == Verdict.ERROR
    assert outcome.note == "redirect loop: Redirect loop A → Redirect loop B → Redirect loop A"


def test_a_long_chain_without_a_loop_is_not_called_a_loop(fake_wiki, session):
    url = fake_wiki.wiki_url + "Redirect_to_" * 11 + "Ocean"

    outcome = page_check(url, session=session, timeout=TIMEOUT)

    assert outcome.error.startswith("TooManyRedirects: ")
    assert outcome.note == ""


def test_an_interwiki_redirect_is_not_followed_off_the_allowed_hosts(fake_wiki, session):
    url = fake_wiki.wiki_url + "Redirect_to_wikt:sea"

    outcome = page_check(url, session=session, timeout=TIMEOUT)

    assert (outcome.verdict, outcome.error) == (
        Verdict.ERROR,
        "RedirectBlocked: redirect to en.wiktionary.org is outside the allowed wiki hosts",
    )


def test_the_same_page_at_another_address_records_only_the_final_url(httpserver, session):
    httpserver.expect_request("/w/index.php", method="HEAD").respond_with_data(
        "", status=301, headers={"Location": "/wiki/Ocean"}
    )
    httpserver.expect_request("/wiki/Ocean", method="HEAD").respond_with_data("")
    url = httpserver.url_for("/w/index.php") + "?title=Ocean"

    outcome = page_check(url, session=session, timeout=TIMEOUT)

    assert outcome.final_url == httpserver.url_for("/wiki/Ocean")
    assert (outcome.redirect_target, outcome.normalized_title) == ("", "")
