"""The MediaWiki Action API client: many titles in one request, each with its own outcome."""

from datetime import UTC, datetime

import pytest

from checks.probe.mediawiki import api_endpoint, titles_check
from checks.probe.outcome import Verdict
from fakewiki.pages import last_edited, page_id, page_length
from fakewiki.titles import title_parse
from fakewiki.unreachable import free_port

TIMEOUT = (2.0, 2.0)


def check(wiki, *titles: str, session) -> dict:
    return titles_check(
        api_url=wiki.url + "/w/api.php", titles=list(titles), session=session, timeout=TIMEOUT
    )


def test_a_redirect_to_a_section_keeps_the_section(fake_wiki, session):
    outcomes = titles_check(
        api_url=fake_wiki.url + "/w/api.php",
        titles=["Redirect to Ocean#Depth"],
        session=session,
        timeout=TIMEOUT,
    )

    assert outcomes["Redirect to Ocean#Depth"].redirect_target == "Ocean#Depth"


# --- Page info ---------------------------------------------------------------------------------


def test_an_existing_page_has_its_id_length_last_edit_and_wikidata_item(fake_wiki, session):
    ocean = title_parse("Ocean")

    outcome = check(fake_wiki, "Ocean", session=session)["Ocean"]

    assert (outcome.page_id, outcome.length) == (page_id(ocean), page_length(ocean))
    assert outcome.wikidata_item == f"Q{page_id(ocean)}"
    assert outcome.last_edited == datetime.fromisoformat(last_edited(ocean))
    assert outcome.last_edited.tzinfo == UTC
    assert outcome.disambiguation is False


def test_a_disambiguation_page_is_flagged(fake_wiki, session):
    outcome = check(fake_wiki, "Mercury", session=session)["Mercury"]

    assert (outcome.verdict, outcome.disambiguation) == (Verdict.EXISTS, True)


def test_a_redirect_to_a_disambiguation_page_is_flagged_with_its_target(fake_wiki, session):
    outcome = check(fake_wiki, "Redirect to Mercury", session=session)["Redirect to Mercury"]

    assert (outcome.verdict, outcome.redirect_target) == (Verdict.EXISTS, "Mercury")
    assert outcome.disambiguation is True
    assert outcome.page_id == page_id(title_parse("Mercury"))


def test_a_page_without_a_wikidata_item_has_none(fake_wiki, session):
    outcome = check(fake_wiki, "Unlinked thing", session=session)["Unlinked thing"]

    assert outcome.verdict == Verdict.EXISTS
    assert outcome.wikidata_item == ""
    assert outcome.page_id is not None


def test_a_missing_page_has_no_page_info(fake_wiki, session):
    outcome = check(fake_wiki, "Missing page", session=session)["Missing page"]

    assert outcome.verdict == Verdict.MISSING
    assert (outcome.page_id, outcome.length, outcome.last_edited) == (None, None, None)


def test_continued_answers_are_merged_one_request_per_continuation(wiki, session):
    wiki.prop_continue_after = 20
    titles = [f"Page {number}" for number in range(50)]

    outcomes = check(wiki, *titles, session=session)

    assert all(o.wikidata_item and o.last_edited for o in outcomes.values())
    # One request for the 50 titles, and one for each continuation (pages 21-40, 41-50).
    assert wiki.api_requests == 3


# --- Odd redirects -----------------------------------------------------------------------------


def test_a_self_redirect_is_unknown_and_says_so(fake_wiki, session):
    outcome = check(fake_wiki, "Self-redirect", session=session)["Self-redirect"]

    assert (outcome.verdict, outcome.note, outcome.error) == (
        Verdict.UNKNOWN,
        "redirects to itself",
        "",
    )
    assert outcome.redirect_target == "Self-redirect"


def test_a_redirect_loop_is_unknown_and_names_the_loop(fake_wiki, session):
    outcome = check(fake_wiki, "Redirect loop A", session=session)["Redirect loop A"]

    assert (outcome.verdict, outcome.error) == (Verdict.UNKNOWN, "")
    assert outcome.note == "redirect loop: Redirect loop A → Redirect loop B → Redirect loop A"
    assert outcome.redirect_target == "Redirect loop B"


def test_a_redirect_to_an_interwiki_target_is_unknown_and_names_it(fake_wiki, session):
    outcome = check(fake_wiki, "Redirect to wikt:sea", session=session)["Redirect to wikt:sea"]

    assert (outcome.verdict, outcome.error, outcome.redirect_target) == (
        Verdict.UNKNOWN,
        "",
        "wikt:sea",
    )
    assert outcome.note == "redirects to the interwiki target wikt:sea: not checked on this wiki"


# --- Asking the API ----------------------------------------------------------------------------


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
