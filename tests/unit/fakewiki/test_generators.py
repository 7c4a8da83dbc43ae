"""The fake wiki's generators at /w/api.php: the pages a page links to and a category's members,
a slice per request with `continue` (fakewiki/generators.py); which pages the lists hold is in
test_pages.py."""

import pytest
import requests

from fakewiki.pages import link_title, member_title, page_id
from fakewiki.server import FakeWiki
from fakewiki.titles import title_parse
from tests.unit.fakewiki.clients import QUERY, api_url

PROPS = {
    "prop": "info|pageprops|revisions",
    "ppprop": "disambiguation|wikibase_item",
    "rvprop": "timestamp",
}


def links(**params: str) -> dict[str, str]:
    return {**QUERY, **PROPS, "generator": "links", **params}


def members(**params: str) -> dict[str, str]:
    return {**QUERY, **PROPS, "generator": "categorymembers", **params}


def answer(wiki: FakeWiki, params: dict[str, str]) -> dict:
    return requests.get(api_url(wiki), params=params, timeout=5).json()


def every_answer(wiki: FakeWiki, session: requests.Session, params: dict[str, str]) -> list[dict]:
    """The answers to `params` and to each `continue` after it, as MediaWiki's clients go on."""
    answers = [session.get(api_url(wiki), params=params, timeout=5).json()]
    while "continue" in answers[-1]:
        more = {**params, **answers[-1]["continue"]}
        answers.append(session.get(api_url(wiki), params=more, timeout=5).json())
    return answers


def listed(answers: list[dict]) -> list[str]:
    """The titles the answers generated: the redirects, and the pages no redirect leads to."""
    titles = []
    for each in answers:
        query = each.get("query", {})
        redirects = {item["from"]: item["to"] for item in query.get("redirects", [])}
        targets = set(redirects.values())
        titles += list(redirects)
        titles += [page["title"] for page in query.get("pages", []) if page["title"] not in targets]
    return titles


# --- generator=links ---------------------------------------------------------------------------


def test_links_come_with_each_page_state_and_data(wiki: FakeWiki) -> None:
    query = answer(wiki, links(titles="Links 20", gpllimit="max"))["query"]

    pages = {page["title"]: page for page in query["pages"]}
    assert pages["Linked 1"]["pageprops"]["wikibase_item"] == f"Q{pages['Linked 1']['pageid']}"
    assert pages["Missing linked 10"]["missing"] is True
    assert query["redirects"][0] == {"from": "Redirect to Target 7", "to": "Target 7"}
    assert "disambiguation" in pages["Target 14 (disambiguation)"]["pageprops"]
    assert "disambiguation" in pages["Linked 11 (disambiguation)"]["pageprops"]
    assert (pages["Template:Linked 5"]["ns"], pages["Talk:Linked 15"]["ns"]) == (10, 1)
    assert all("revisions" in page for page in query["pages"] if "missing" not in page)


def test_a_full_slice_says_where_to_continue_as_mediawiki_does(wiki: FakeWiki) -> None:
    first = answer(wiki, links(titles="Links 2000", gpllimit="max"))

    source_id = page_id(title_parse("Links 2000"))
    assert first["batchcomplete"] is True
    assert first["continue"] == {
        "gplcontinue": f"{source_id}|0|Linked_501",
        "continue": "gplcontinue||",
    }
    assert len(listed([first])) == 500


def test_continuing_walks_the_whole_list_once_one_request_a_slice(
    wiki: FakeWiki, session: requests.Session
) -> None:
    answers = every_answer(wiki, session, links(titles="Links 1200", gpllimit="max"))

    assert sorted(listed(answers)) == sorted(link_title(index) for index in range(1, 1201))
    assert all(each["batchcomplete"] is True for each in answers)
    assert "continue" not in answers[-1]
    assert (wiki.api_requests, wiki.api_generator_requests) == (3, {"links": 3})


@pytest.mark.parametrize(("limit", "count"), [("max", 500), ("900", 500), ("3", 3), (None, 10)])
def test_the_limit_is_500_at_most_and_10_unless_asked(
    wiki: FakeWiki, limit: str | None, count: int
) -> None:
    first = answer(wiki, links(titles="Links 2000", gpllimit=limit))

    assert len(listed([first])) == count


def test_a_limit_that_is_no_number_is_an_error(wiki: FakeWiki) -> None:
    error = answer(wiki, links(titles="Links 20", gpllimit="many"))["error"]

    assert error["code"] == "badinteger"


def test_a_namespace_filter_keeps_the_namespaces_asked(
    wiki: FakeWiki, session: requests.Session
) -> None:
    answers = every_answer(
        wiki, session, links(titles="Links 100", gpllimit="max", gplnamespace="1|10")
    )

    titles = listed(answers)
    assert titles[:3] == ["Template:Linked 5", "Talk:Linked 15", "Template:Linked 25"]
    assert {title.split(":")[0] for title in titles} == {"Talk", "Template"}


def test_a_namespace_filter_walks_a_million_links_within_one_answer(wiki: FakeWiki) -> None:
    # No File: page is linked: the whole list is passed over, and quickly (the timeout).
    first = answer(wiki, links(titles="Links 1000000", gpllimit="max", gplnamespace="6"))

    assert first == {"batchcomplete": True}


def test_the_last_slice_of_a_million_links_answers_the_last_pages(wiki: FakeWiki) -> None:
    source_id = page_id(title_parse("Links 1000000"))
    near_the_end = f"{source_id}|0|Linked_999998"

    last = answer(wiki, links(titles="Links 1000000", gpllimit="max", gplcontinue=near_the_end))

    assert sorted(listed([last])) == [
        "Linked 999998",
        "Missing linked 1000000",
        "Redirect to Target 999999",
    ]
    assert "continue" not in last


@pytest.mark.parametrize("title", ["Missing page", "Ocean"])
def test_a_missing_source_or_one_without_links_gives_an_empty_answer(
    wiki: FakeWiki, title: str
) -> None:
    # MediaWiki lists the generator's pages, never its source: both answers are alike.
    assert answer(wiki, links(titles=title, gpllimit="max")) == {"batchcomplete": True}


def test_a_redirect_source_lists_the_links_of_its_target(wiki: FakeWiki) -> None:
    first = answer(wiki, links(titles="Redirect to Links 3", gpllimit="max"))

    assert listed([first]) == ["Linked 1", "Linked 2", "Linked 3"]


def test_a_continue_value_the_wiki_did_not_give_is_refused(wiki: FakeWiki) -> None:
    error = answer(wiki, links(titles="Links 20", gplcontinue="1|0|Linked_5"))["error"]

    assert error["code"] == "badcontinue"


def test_pages_data_left_to_continue_keeps_the_slice_until_it_is_complete(
    wiki: FakeWiki, session: requests.Session
) -> None:
    wiki.prop_continue_after = 200

    answers = every_answer(wiki, session, links(titles="Links 1000", gpllimit="max"))

    # Each slice has 450 existing pages: their data comes 200, 200 and 50 at a time.
    first_slice, second_slice = answers[:3], answers[3:]
    assert [each.get("batchcomplete") for each in answers] == [None, None, True] * 2
    assert first_slice[0]["continue"]["continue"] == "||info"
    assert second_slice[0]["continue"]["continue"] == "gplcontinue||info"
    assert second_slice[0]["continue"]["gplcontinue"] == first_slice[-1]["continue"]["gplcontinue"]
    expected = sorted(link_title(index) for index in range(1, 1001))
    assert sorted(listed([first_slice[0], second_slice[0]])) == expected


# --- generator=categorymembers -----------------------------------------------------------------


def test_category_members_continue_with_their_type_sort_key_and_page_id(
    wiki: FakeWiki, session: requests.Session
) -> None:
    answers = every_answer(wiki, session, members(gcmtitle="Category:Members 700", gcmlimit="max"))

    assert sorted(listed(answers)) == sorted(member_title(index) for index in range(1, 701))
    next_member = title_parse(member_title(501))
    sort_key = next_member.name.upper().encode().hex()
    assert answers[0]["continue"] == {
        "gcmcontinue": f"page|{sort_key}|{page_id(next_member)}",
        "continue": "gcmcontinue||",
    }
    assert wiki.api_generator_requests == {"categorymembers": 2}


def test_no_member_of_a_category_is_missing(wiki: FakeWiki) -> None:
    query = answer(wiki, members(gcmtitle="Category:Members 100", gcmlimit="max"))["query"]

    assert not [page for page in query["pages"] if page.get("missing")]


@pytest.mark.parametrize("title", ["Category:Oceans", "Category:Page that does not exist"])
def test_a_category_without_members_gives_an_empty_answer(wiki: FakeWiki, title: str) -> None:
    assert answer(wiki, members(gcmtitle=title, gcmlimit="max")) == {"batchcomplete": True}


@pytest.mark.parametrize(
    ("title", "code"),
    [("Ocean", "invalidcategory"), ("Category:A[b", "invalidtitle"), ("", "missingparam")],
)
def test_a_title_that_is_no_category_is_an_error(wiki: FakeWiki, title: str, code: str) -> None:
    response = requests.get(api_url(wiki), params=members(gcmtitle=title), timeout=5)

    assert response.json()["error"]["code"] == code
    assert response.headers["MediaWiki-API-Error"] == code


def test_an_unknown_generator_is_an_error(wiki: FakeWiki) -> None:
    error = answer(wiki, {**QUERY, "generator": "backlinks", "titles": "Ocean"})["error"]

    assert (error["code"], error["info"]) == (
        "badvalue",
        'Unrecognized value for parameter "generator": backlinks.',
    )
