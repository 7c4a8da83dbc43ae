"""What the fake wiki's api.php says of each page beyond its title: disambiguation, Wikidata item,
length and last edit, the pages it links to and a category's members (fakewiki/pages.py)."""

import pytest

from fakewiki.pages import link_title, links_count, member_title, members_count
from fakewiki.server import FakeWiki
from fakewiki.titles import is_missing, title_parse
from tests.unit.fakewiki.clients import query

PROPS = {"prop": "info|pageprops|revisions", "rvprop": "timestamp"}


def page(wiki: FakeWiki, title: str, **params: str | None) -> dict:
    return query(wiki, title, **{**PROPS, **params})["pages"][0]


# --- Disambiguation ----------------------------------------------------------------------------


@pytest.mark.parametrize("title", ["Mercury", "Java", "Bass", "Ocean (disambiguation)"])
def test_listed_titles_and_disambiguation_suffixes_are_disambiguation_pages(
    wiki: FakeWiki, title: str
) -> None:
    props = page(wiki, title)["pageprops"]

    assert props["disambiguation"] == ""


@pytest.mark.parametrize("title", ["Ocean", "Mercury (planet)", "Talk:Mercury"])
def test_other_pages_are_not_disambiguation_pages(wiki: FakeWiki, title: str) -> None:
    props = page(wiki, title).get("pageprops", {})

    assert "disambiguation" not in props


# --- Wikidata items ----------------------------------------------------------------------------


@pytest.mark.parametrize("title", ["Ocean", "Category:Oceans", "Template:Infobox sea"])
def test_linked_pages_have_the_wikidata_item_of_their_page_id(wiki: FakeWiki, title: str) -> None:
    entry = page(wiki, title)

    assert entry["pageprops"]["wikibase_item"] == f"Q{entry['pageid']}"


@pytest.mark.parametrize("title", ["Unlinked thing", "unlinked_island", "Talk:Ocean", "User:Bob"])
def test_unlinked_titles_and_talk_or_user_pages_have_no_wikidata_item(
    wiki: FakeWiki, title: str
) -> None:
    entry = page(wiki, title)

    assert entry["pageid"] > 0
    assert "pageprops" not in entry


# --- Length and last edit ----------------------------------------------------------------------


def test_length_and_last_edit_are_the_same_every_time(wiki: FakeWiki) -> None:
    first = page(wiki, "Ocean")
    second = page(wiki, "Ocean")

    assert (first["length"], first["revisions"]) == (second["length"], second["revisions"])
    assert first["length"] > 0


def test_touched_is_later_than_the_last_edit(wiki: FakeWiki) -> None:
    entry = page(wiki, "Ocean")

    # Both are ISO 8601 in UTC, so their text orders like their time.
    assert entry["revisions"][0]["timestamp"] < entry["touched"]


def test_a_redirect_page_is_as_long_as_its_redirect_line_and_has_no_properties(
    wiki: FakeWiki,
) -> None:
    # requests leaves out a parameter that is None: the redirect is not resolved.
    entry = page(wiki, "Redirect to Ocean", redirects=None)

    assert entry["length"] == len("#REDIRECT [[Ocean]]")
    assert "pageprops" not in entry
    assert entry["revisions"][0]["timestamp"]


def test_a_missing_page_has_no_length_properties_or_revisions(wiki: FakeWiki) -> None:
    entry = page(wiki, "Missing page")

    assert entry["missing"] is True
    assert not {"length", "pageprops", "revisions", "pageid"} & set(entry)


# --- Lists: a page's links, a category's members -----------------------------------------------


@pytest.mark.parametrize(
    ("title", "count"),
    [
        ("Links 20", 20),
        ("Links 1000000", 1_000_000),
        ("links 3", 3),
        ("Links 1000001", 0),
        ("Links 0", 0),
        ("Links 020", 0),
        ("Talk:Links 20", 0),
        ("Ocean", 0),
    ],
)
def test_only_a_main_page_named_links_n_links_to_n_pages(title: str, count: int) -> None:
    assert links_count(title_parse(title)) == count


@pytest.mark.parametrize(
    ("title", "count"),
    [("Category:Members 7", 7), ("category:members 7", 7), ("Members 7", 0), ("Category:X", 0)],
)
def test_only_a_category_named_members_n_has_n_members(title: str, count: int) -> None:
    assert members_count(title_parse(title)) == count


@pytest.mark.parametrize(
    ("index", "title"),
    [
        (1, "Linked 1"),
        (10, "Missing linked 10"),
        (70, "Missing linked 70"),
        (7, "Redirect to Target 7"),
        (14, "Redirect to Target 14 (disambiguation)"),
        (35, "Redirect to Target 35"),
        (5, "Template:Linked 5"),
        (15, "Talk:Linked 15"),
        (11, "Linked 11 (disambiguation)"),
        (55, "Template:Linked 55"),
    ],
)
def test_linked_pages_follow_the_rules_in_order(index: int, title: str) -> None:
    assert link_title(index) == title


@pytest.mark.parametrize(
    ("index", "title"),
    [
        (1, "Member 1"),
        (10, "Template:Member 10"),
        (30, "Talk:Member 30"),
        (70, "Redirect to Target 70 (disambiguation)"),
        (22, "Member 22 (disambiguation)"),
    ],
)
def test_members_follow_the_same_rules_but_none_is_missing(index: int, title: str) -> None:
    assert member_title(index) == title
    assert not is_missing(member_title(index))
