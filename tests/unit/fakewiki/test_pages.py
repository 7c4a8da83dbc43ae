"""What the fake wiki's api.php says of each page beyond its title: disambiguation, Wikidata item,
length and last edit (fakewiki/pages.py)."""

import pytest

from fakewiki.server import FakeWiki
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
