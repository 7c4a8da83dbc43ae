"""Titles as the fake wiki's api.php reads them: normalized, redirected, invalid, special or
interwiki (fakewiki/titles.py)."""

import pytest
import requests

from fakewiki.server import FakeWiki
from tests.unit.fakewiki.clients import api_url, query

# --- Normalization -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "normalized", "ns"),
    [
        ("ocean", "Ocean", 0),
        ("sea_water", "Sea water", 0),
        ("  Sea   water ", "Sea water", 0),
        ("talk:ocean", "Talk:Ocean", 1),
        ("USER_TALK : bob", "User talk:Bob", 3),
        ("image:example.jpg", "File:Example.jpg", 6),
    ],
)
def test_changed_title_is_reported_in_normalized(
    wiki: FakeWiki, sent: str, normalized: str, ns: int
) -> None:
    answer = query(wiki, sent)

    assert answer["normalized"] == [{"fromencoded": False, "from": sent, "to": normalized}]
    assert (answer["pages"][0]["title"], answer["pages"][0]["ns"]) == (normalized, ns)


def test_unchanged_title_is_not_reported_in_normalized(wiki: FakeWiki) -> None:
    answer = query(wiki, "Talk:Ocean")

    assert "normalized" not in answer


def test_unknown_prefix_is_part_of_a_main_namespace_title(wiki: FakeWiki) -> None:
    answer = query(wiki, "Star Wars: Episode I")

    assert "normalized" not in answer
    assert answer["pages"][0]["ns"] == 0


@pytest.mark.parametrize(
    ("sent", "normalized"),
    [
        ("Café", "Café"),
        ("Cafe\u0301", "Café"),  # decomposed é becomes NFC
        ("ωmega", "Ωmega"),
        ("ß", "ß"),  # 'ß'.upper() is 'SS'; MediaWiki leaves it alone
        ("ǆungla", "Ǆungla"),
    ],
)
def test_unicode_titles_normalize_like_mediawiki(
    wiki: FakeWiki, sent: str, normalized: str
) -> None:
    answer = query(wiki, sent)

    assert answer["pages"][0]["title"] == normalized
    assert ("normalized" in answer) == (sent != normalized)


def test_duplicate_titles_are_answered_once(wiki: FakeWiki) -> None:
    answer = query(wiki, "Ocean", "ocean", "Ocean", "ocean")

    assert [page["title"] for page in answer["pages"]] == ["Ocean"]
    assert answer["normalized"] == [{"fromencoded": False, "from": "ocean", "to": "Ocean"}]


def test_pages_are_listed_in_the_order_first_met(wiki: FakeWiki) -> None:
    answer = query(wiki, "Zebra", "Missing ant", "Special:Version", "A<b", "Mango")

    assert [page["title"] for page in answer["pages"]] == [
        "Zebra",
        "Missing ant",
        "Special:Version",
        "A<b",
        "Mango",
    ]


# --- Redirects ---------------------------------------------------------------------------------


def test_redirect_is_resolved_when_redirects_is_given(wiki: FakeWiki) -> None:
    answer = query(wiki, "Redirect to Ocean")

    assert answer["redirects"] == [{"from": "Redirect to Ocean", "to": "Ocean"}]
    assert [page["title"] for page in answer["pages"]] == ["Ocean"]


def test_redirect_uses_normalized_titles(wiki: FakeWiki) -> None:
    answer = query(wiki, "redirect_to_ocean")

    assert answer["redirects"] == [{"from": "Redirect to ocean", "to": "Ocean"}]


def test_redirect_page_exists_as_a_redirect_without_redirects(wiki: FakeWiki) -> None:
    response = requests.get(
        api_url(wiki), params={"action": "query", "titles": "Redirect to Ocean"}
    )

    answer = response.json()["query"]
    assert "redirects" not in answer
    assert answer["pages"][0]["title"] == "Redirect to Ocean"
    assert answer["pages"][0]["redirect"] is True
    assert answer["pages"][0]["pageid"] > 0


def test_redirect_to_a_missing_page_is_a_broken_redirect(wiki: FakeWiki) -> None:
    answer = query(wiki, "Redirect to Missing thing")

    assert answer["redirects"] == [{"from": "Redirect to Missing thing", "to": "Missing thing"}]
    assert answer["pages"] == [{"ns": 0, "title": "Missing thing", "missing": True}]


def test_redirect_to_a_section_reports_tofragment(wiki: FakeWiki) -> None:
    answer = query(wiki, "Redirect to Ocean#Depth")

    assert answer["redirects"] == [
        {"from": "Redirect to Ocean#Depth", "to": "Ocean", "tofragment": "Depth"}
    ]
    assert "normalized" not in answer


def test_redirect_and_its_target_share_one_page_entry(wiki: FakeWiki) -> None:
    answer = query(wiki, "Ocean", "Redirect to Ocean")

    assert [page["title"] for page in answer["pages"]] == ["Ocean"]


def test_redirect_to_an_interwiki_link_reports_tointerwiki(wiki: FakeWiki) -> None:
    answer = query(wiki, "Redirect to wikt:sea")

    assert answer["redirects"] == [
        {"from": "Redirect to wikt:sea", "to": "wikt:sea", "tointerwiki": "wikt"}
    ]
    assert answer["interwiki"] == [{"title": "wikt:sea", "iw": "wikt"}]
    assert "pages" not in answer


def test_self_redirect_is_listed_in_redirects_with_no_page(wiki: FakeWiki) -> None:
    answer = query(wiki, "Self-redirect")

    assert answer["redirects"] == [{"from": "Self-redirect", "to": "Self-redirect"}]
    assert "pages" not in answer


def test_redirect_loop_lists_both_steps_and_no_page(wiki: FakeWiki) -> None:
    answer = query(wiki, "Redirect loop A", "Ocean")

    assert answer["redirects"] == [
        {"from": "Redirect loop A", "to": "Redirect loop B"},
        {"from": "Redirect loop B", "to": "Redirect loop A"},
    ]
    assert [page["title"] for page in answer["pages"]] == ["Ocean"]


def test_a_loop_pair_keeps_the_rest_of_its_title(wiki: FakeWiki) -> None:
    answer = query(wiki, "Redirect loop B of the sea")

    assert answer["redirects"][0] == {
        "from": "Redirect loop B of the sea",
        "to": "Redirect loop A of the sea",
    }


def test_self_redirect_is_a_plain_redirect_page_without_redirects(wiki: FakeWiki) -> None:
    response = requests.get(api_url(wiki), params={"action": "query", "titles": "Self-redirect"})

    assert response.json()["query"]["pages"][0]["redirect"] is True


# --- Invalid, special, media and interwiki titles ----------------------------------------------


EMPTY = "The requested page title is empty or contains only the name of a namespace."
TOO_LONG = (
    "The requested page title is too long. It must be no longer than 255 bytes in UTF-8 encoding."
)
RELATIVE = (
    "Title has relative path. Relative page titles (./, ../) are invalid, because they will "
    "often be unreachable when handled by user's browser."
)


def characters(text: str) -> str:
    """MediaWiki's reason for invalid characters, the offending text in <nowiki> as its API
    sends it."""
    return f'The requested page title contains invalid characters: "<nowiki>{text}</nowiki>".'


@pytest.mark.parametrize(
    ("sent", "reason"),
    [
        ("Talk:", EMPTY),
        ("_", EMPTY),
        (":", EMPTY),
        ("A<b>", characters("<")),
        ("Ocean#Depth", characters("#")),
        ("Tab\there", characters("\t")),
        ("A%41", characters("%41")),
        ("Talk:100%25 sure", characters("%25")),
        ("A&#91;B", characters("[")),
        ("A&amp;#91;B", characters("&#91;")),
        ("A&unknown;B", characters("&unknown;")),
        ("x" * 256, TOO_LONG),
        ("é" * 128, TOO_LONG),
        ("Special:" + "x" * 513, TOO_LONG.replace("255", "512")),
        ("./x", RELATIVE),
        ("a/../b", RELATIVE),
        ("Talk:..", RELATIVE),
        (
            "Sig ~~~~",
            "The requested page title contains invalid magic tilde sequence "
            "(<nowiki>~~~</nowiki>).",
        ),
        ("A\ufffdB", "The requested page title contains an invalid UTF-8 sequence."),
        ("A\ufffeB", "The requested page title contains an invalid UTF-8 sequence."),
        ("A&#xFFFF;B", "The requested page title contains an invalid UTF-8 sequence."),
        ("::Foo", "The requested page title contains an invalid colon at the beginning."),
        ("Talk::Foo", "The requested page title contains an invalid colon at the beginning."),
        (
            "Talk:File:x.png",
            "The requested page title refers to an incorrectly specified talk page for a page in "
            'another namespace. Talk pages of non-mainspace pages should be written as "Project '
            'talk:Foo", not "Talk:Project:Foo".',
        ),
        (
            "Invalid title",
            "The requested page title is invalid (the fake wiki rejects titles starting with "
            '"Invalid ").',
        ),
    ],
)
def test_invalid_title_is_listed_as_sent_with_its_reason(
    wiki: FakeWiki, sent: str, reason: str
) -> None:
    answer = query(wiki, sent)

    assert answer["pages"] == [{"title": sent, "invalidreason": reason, "invalid": True}]
    assert "normalized" not in answer


@pytest.mark.parametrize(
    ("sent", "normalized"),
    [
        ("A&amp;B", "A&B"),
        ("&#x61;bc", "Abc"),
        (":ocean", "Ocean"),
        ("100% sure", "100% sure"),
        ("Sig ~~", "Sig ~~"),
        ("A.b/c..d", "A.b/c..d"),
        ("Talk:Star Wars: Episode I", "Talk:Star Wars: Episode I"),
        ("Special:" + "x" * 512, "Special:X" + "x" * 511),
    ],
)
def test_titles_close_to_a_rule_are_valid(wiki: FakeWiki, sent: str, normalized: str) -> None:
    answer = query(wiki, sent)

    assert answer["pages"][0]["title"] == normalized
    assert "invalid" not in answer["pages"][0]


def test_page_name_of_255_bytes_is_valid(wiki: FakeWiki) -> None:
    answer = query(wiki, "Talk:" + "x" * 255)

    assert "invalid" not in answer["pages"][0]


def test_special_page_is_special(wiki: FakeWiki) -> None:
    answer = query(wiki, "Special:Version", "special:missing thing")

    assert answer["pages"] == [
        {"ns": -1, "title": "Special:Version", "special": True},
        {"ns": -1, "title": "Special:Missing thing", "special": True, "missing": True},
    ]


def test_media_title_is_in_namespace_minus_2_and_missing_by_the_missing_rule(
    wiki: FakeWiki,
) -> None:
    answer = query(wiki, "Media:Example.jpg", "Media:Missing.jpg")

    assert answer["pages"] == [
        {"ns": -2, "title": "Media:Example.jpg", "special": True},
        {"ns": -2, "title": "Media:Missing.jpg", "special": True, "missing": True},
    ]


def test_interwiki_title_is_listed_in_interwiki_not_pages(wiki: FakeWiki) -> None:
    answer = query(wiki, "wikt:sea", "FR:Océan", "Ocean")

    assert answer["interwiki"] == [
        {"title": "wikt:sea", "iw": "wikt"},
        {"title": "fr:Océan", "iw": "fr"},
    ]
    assert [page["title"] for page in answer["pages"]] == ["Ocean"]
