"""Listing a page's links or a category's members with each page's outcome, through MediaWiki's
generators (checks/probe/sources.py), against the fake wiki's "Links <N>" pages and
"Category:Members <N>" categories (fakewiki/README.md)."""

import time

import pytest

from checks.probe.destinations import HostRefused
from checks.probe.outcome import Verdict
from checks.probe.session import WikiSession
from checks.probe.sources import (
    SourceEmpty,
    SourceFailed,
    SourceListing,
    SourceMissing,
    SourceTooLarge,
    source_outcomes,
)
from fakewiki.pages import link_title, member_title
from fakewiki.server import FakeWiki

TIMEOUT = (2.0, 2.0)


def listing(wiki: FakeWiki, title: str, *, session, kind="links", **options) -> SourceListing:
    return source_outcomes(
        api_url=wiki.url + "/w/api.php",
        kind=kind,
        title=title,
        session=session,
        timeout=TIMEOUT,
        **{"limit": 10_000, **options},
    )


# --- Links of a page ---------------------------------------------------------------------------


def test_a_page_of_2000_links_costs_4_requests_of_500(wiki, session):
    links = listing(wiki, "Links 2000", session=session)

    assert len(links.outcomes) == 2000
    assert links.requests == 4
    assert (wiki.api_requests, wiki.api_generator_requests) == (4, {"links": 4})


def test_links_are_listed_in_the_order_the_api_gave_them(wiki, session):
    links = listing(wiki, "Links 1200", session=session)

    assert list(links.outcomes) == [link_title(index) for index in range(1, 1201)]


def test_red_links_redirects_and_disambiguation_pages_are_each_reported(wiki, session):
    outcomes = listing(wiki, "Links 2000", session=session).outcomes

    missing = [title for title, outcome in outcomes.items() if outcome.verdict == Verdict.MISSING]
    redirects = [title for title, outcome in outcomes.items() if outcome.redirect_target]
    assert len(missing) == 200  # every 10th
    assert len(redirects) == len([n for n in range(1, 2001) if n % 7 == 0 and n % 10])
    redirect = outcomes["Redirect to Target 7"]
    assert (redirect.verdict, redirect.redirect_target) == (Verdict.EXISTS, "Target 7")
    assert outcomes["Redirect to Target 14 (disambiguation)"].disambiguation is True
    assert outcomes["Linked 11 (disambiguation)"].disambiguation is True
    assert outcomes["Linked 1"].wikidata_item.startswith("Q")
    assert outcomes["Linked 1"].last_edited is not None


def test_a_namespace_filter_lists_those_namespaces_only(wiki, session):
    outcomes = listing(wiki, "Links 100", session=session, namespaces=[1, 10]).outcomes

    assert list(outcomes)[:3] == ["Template:Linked 5", "Talk:Linked 15", "Template:Linked 25"]
    assert {title.split(":")[0] for title in outcomes} == {"Talk", "Template"}


def test_a_redirect_source_lists_the_links_of_its_target(wiki, session):
    links = listing(wiki, "Redirect to Links 3", session=session)

    assert list(links.outcomes) == ["Linked 1", "Linked 2", "Linked 3"]


def test_page_data_left_to_continue_is_merged_into_each_slice(wiki, session):
    wiki.prop_continue_after = 200

    links = listing(wiki, "Links 1000", session=session)

    existing = [o for o in links.outcomes.values() if o.verdict == Verdict.EXISTS]
    assert len(existing) == 900
    assert all(outcome.last_edited for outcome in existing)
    assert links.outcomes["Linked 999"].wikidata_item.startswith("Q")
    # Two slices of 450 existing pages, their data 200, 200 and 50 at a time.
    assert links.requests == wiki.api_requests == 6


# --- Members of a category ---------------------------------------------------------------------


def test_category_members_are_listed_500_a_request(wiki, session):
    members = listing(wiki, "Category:Members 700", kind="category", session=session)

    assert sorted(members.outcomes) == sorted(member_title(index) for index in range(1, 701))
    assert Verdict.MISSING not in {outcome.verdict for outcome in members.outcomes.values()}
    assert wiki.api_generator_requests == {"categorymembers": 2}


# --- Sources that give no list -----------------------------------------------------------------


def test_a_missing_page_is_refused_with_its_name_and_wiki(wiki, session):
    with pytest.raises(SourceMissing) as refused:
        listing(wiki, "Missing page", session=session)

    assert str(refused.value) == f"the page Missing page does not exist on 127.0.0.1:{wiki.port}"


def test_a_category_without_page_or_members_does_not_exist(wiki, session):
    title = "Category:Page that does not exist"

    with pytest.raises(SourceMissing) as refused:
        listing(wiki, title, kind="category", session=session)

    assert str(refused.value).startswith(f"the category {title} does not exist on ")


@pytest.mark.parametrize(
    ("kind", "title", "reason"),
    [
        ("links", "Ocean", "the page Ocean links to no pages"),
        ("category", "Category:Oceans", "the category Category:Oceans has no members"),
    ],
)
def test_a_source_that_lists_nothing_says_so(wiki, session, kind, title, reason):
    with pytest.raises(SourceEmpty) as refused:
        listing(wiki, title, kind=kind, session=session)

    assert str(refused.value) == reason
    # The generator's answer, then one question about the source itself.
    assert wiki.api_requests == 2


def test_a_namespace_filter_that_keeps_nothing_says_so(wiki, session):
    with pytest.raises(SourceEmpty, match="links to no pages in the namespaces asked"):
        listing(wiki, "Links 20", session=session, namespaces=[6])


@pytest.mark.parametrize(
    ("kind", "title", "reason"),
    [
        ("category", "Ocean", "The category name you entered is not valid."),
        ("links", "Foo[bar", 'The requested page title contains invalid characters: "[".'),
    ],
)
def test_a_source_the_wiki_cannot_list_is_refused_with_its_reason(
    wiki, session, kind, title, reason
):
    with pytest.raises(SourceFailed) as refused:
        listing(wiki, title, kind=kind, session=session)

    assert str(refused.value).endswith(reason)


# --- Limits ------------------------------------------------------------------------------------


def test_a_source_over_the_limit_stops_early_with_the_count_so_far(wiki, session):
    with pytest.raises(SourceTooLarge) as refused:
        listing(wiki, "Links 2000", session=session, limit=1000)

    assert str(refused.value) == "the page Links 2000 links to more than 1,000 pages"
    assert (refused.value.count, refused.value.limit) == (1500, 1000)
    assert wiki.api_requests == 3  # of the 4 the whole list takes


def test_a_small_limit_asks_for_one_page_more_than_it(wiki, session):
    with pytest.raises(SourceTooLarge) as refused:
        listing(wiki, "Category:Members 2000", kind="category", session=session, limit=10)

    assert refused.value.count == 11
    assert wiki.api_requests == 1


def test_a_source_just_at_the_limit_is_listed(wiki, session):
    links = listing(wiki, "Links 500", session=session, limit=500)

    assert len(links.outcomes) == 500
    assert links.requests == 1


# --- Asking the API ----------------------------------------------------------------------------


def test_a_host_off_the_allow_list_is_refused_before_anything_is_sent(wiki):
    elsewhere = WikiSession(user_agent="wikicheck-test", allowed_hosts=["*.wikipedia.org"])

    with elsewhere as session, pytest.raises(HostRefused):
        listing(wiki, "Links 20", session=session)

    assert wiki.requests_total == 0


def test_maxlag_is_waited_out_and_its_requests_counted(wiki, session):
    wiki.maxlag_failures = 2
    wiki.maxlag_retry_after = 0

    links = listing(wiki, "Links 20", session=session)

    assert len(links.outcomes) == 20
    assert links.requests == wiki.api_requests == 3


def test_lasting_maxlag_fails_the_source_with_the_reason(wiki, session):
    wiki.maxlag_failures = 10
    wiki.maxlag_retry_after = 0

    with pytest.raises(SourceFailed, match="API error maxlag: Waiting for db1"):
        listing(wiki, "Links 20", session=session, maxlag_retries=1)


def test_at_100_ms_a_page_of_2000_links_takes_4_round_trips(wiki, session):
    wiki.latency_ms = 100
    started = time.perf_counter()

    links = listing(wiki, "Links 2000", session=session)

    seconds = time.perf_counter() - started
    print(f"2,000 links at 100 ms: {links.requests} requests, {seconds:.2f} s")
    assert links.requests == 4
    # Four waits of 100 ms at least; one request a link would take 200 s.
    assert 0.4 <= seconds < 5
