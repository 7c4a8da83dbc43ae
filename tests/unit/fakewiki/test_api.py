"""The fake wiki's MediaWiki Action API at /w/api.php (fakewiki/api.py)."""

import time
from collections.abc import Iterator

import pytest
import requests

from fakewiki.__main__ import parser_build
from fakewiki.server import FakeWiki

QUERY = {"action": "query", "format": "json", "formatversion": "2", "redirects": "1"}


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as client:
        yield client


def api_url(wiki: FakeWiki) -> str:
    return wiki.url + "/w/api.php"


def query(wiki: FakeWiki, *titles: str, **params: str) -> dict:
    """The `query` part of the answer to `titles`, asked the way wikicheck asks."""
    response = requests.get(api_url(wiki), params={**QUERY, **params, "titles": "|".join(titles)})
    return response.json()["query"]


# --- Answers -----------------------------------------------------------------------------------


def test_answer_is_json_with_batchcomplete(wiki: FakeWiki) -> None:
    response = requests.get(api_url(wiki), params={**QUERY, "titles": "Ocean"})

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.json()["batchcomplete"] is True


def test_existing_page_has_a_stable_pageid_and_its_namespace(wiki: FakeWiki) -> None:
    first = query(wiki, "Ocean")["pages"]
    second = query(wiki, "Ocean")["pages"]

    assert first == second
    assert first[0]["pageid"] > 0
    assert (first[0]["ns"], first[0]["title"]) == (0, "Ocean")
    assert "missing" not in first[0]


@pytest.mark.parametrize("title", ["Missing page", "Page that does not exist"])
def test_missing_page_is_marked_missing_without_a_pageid(wiki: FakeWiki, title: str) -> None:
    pages = query(wiki, title)["pages"]

    assert pages == [{"ns": 0, "title": title, "missing": True}]


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


# --- Invalid, special, media and interwiki titles ----------------------------------------------


@pytest.mark.parametrize(
    ("sent", "reason"),
    [
        ("Talk:", "The requested page title is empty or contains only the name of a namespace."),
        ("_", "The requested page title is empty or contains only the name of a namespace."),
        ("A<b>", 'The requested page title contains invalid characters: "<".'),
        ("Ocean#Depth", 'The requested page title contains invalid characters: "#".'),
        ("Tab\there", 'The requested page title contains invalid characters: "\t".'),
        ("x" * 256, "The requested page title is too long to be used as a title."),
        ("é" * 128, "The requested page title is too long to be used as a title."),
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


# --- Errors ------------------------------------------------------------------------------------


def test_fifty_titles_are_answered(wiki: FakeWiki) -> None:
    answer = query(wiki, *(f"Page {number}" for number in range(50)))

    assert len(answer["pages"]) == 50


def test_fifty_one_titles_are_too_many(wiki: FakeWiki) -> None:
    titles = "|".join(f"Page {number}" for number in range(51))

    response = requests.get(api_url(wiki), params={**QUERY, "titles": titles})

    assert response.status_code == 200
    assert response.headers["MediaWiki-API-Error"] == "toomanyvalues"
    assert response.json() == {
        "error": {
            "code": "toomanyvalues",
            "info": 'Too many values supplied for parameter "titles". The limit is 50.',
            "parameter": "titles",
            "limit": 50,
        },
        "servedby": "fakewiki",
    }


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"action": "query"}, "missingparam"),
        ({"action": "query", "titles": ""}, "missingparam"),
        ({"titles": "Ocean"}, "missingparam"),
        ({"action": "parse", "titles": "Ocean"}, "badvalue"),
    ],
)
def test_bad_parameters_answer_an_error(wiki: FakeWiki, params: dict, code: str) -> None:
    response = requests.get(api_url(wiki), params=params)

    assert (response.status_code, response.headers["MediaWiki-API-Error"]) == (200, code)
    assert response.json()["error"]["code"] == code


# --- Transport ---------------------------------------------------------------------------------


def test_form_post_is_answered_like_get(wiki: FakeWiki, session: requests.Session) -> None:
    params = {**QUERY, "titles": "ocean|Redirect to Missing thing|Café|wikt:sea"}

    posted = session.post(api_url(wiki), data=params)
    got = session.get(api_url(wiki), params=params)

    assert posted.json() == got.json()
    assert wiki.requests_by_method == {"POST": 1, "GET": 1}


def test_twenty_titles_on_a_session_take_one_request(
    wiki: FakeWiki, session: requests.Session
) -> None:
    titles = [f"Page {number}" for number in range(20)]

    response = session.get(api_url(wiki), params={**QUERY, "titles": "|".join(titles)})

    assert len(response.json()["query"]["pages"]) == 20
    assert (wiki.api_requests, wiki.requests_total, wiki.connections_total) == (1, 1, 1)


def test_gzip_is_sent_when_accepted(wiki: FakeWiki, session: requests.Session) -> None:
    compressed = session.get(
        api_url(wiki), params={**QUERY, "titles": "Ocean"}, headers={"Accept-Encoding": "gzip"}
    )
    assert wiki.last_accept_encoding == "gzip"
    plain = session.get(
        api_url(wiki), params={**QUERY, "titles": "Ocean"}, headers={"Accept-Encoding": "identity"}
    )

    assert compressed.headers["Content-Encoding"] == "gzip"
    assert "Content-Encoding" not in plain.headers
    assert compressed.json() == plain.json()
    assert wiki.last_accept_encoding == "identity"


def test_latency_applies_once_per_request(wiki: FakeWiki) -> None:
    wiki.latency_ms = 100
    started = time.perf_counter()

    query(wiki, *(f"Page {number}" for number in range(20)))

    # Once per title would take 2 s.
    assert 0.100 <= time.perf_counter() - started < 1.0


# --- maxlag ------------------------------------------------------------------------------------


def test_maxlag_fails_the_first_requests_then_answers(
    wiki: FakeWiki, session: requests.Session
) -> None:
    wiki.maxlag_failures, wiki.maxlag_retry_after = 2, 3
    params = {**QUERY, "maxlag": "5", "titles": "Ocean"}

    responses = [session.get(api_url(wiki), params=params) for _ in range(3)]

    lagged = responses[0]
    assert lagged.json() == {
        "error": {
            "code": "maxlag",
            "info": "Waiting for db1: 7 seconds lagged.",
            "host": "db1",
            "lag": 7,
        },
        "servedby": "fakewiki",
    }
    assert (
        lagged.status_code,
        lagged.headers["Retry-After"],
        lagged.headers["X-Database-Lag"],
        lagged.headers["MediaWiki-API-Error"],
    ) == (200, "3", "7", "maxlag")
    assert responses[1].json()["error"]["code"] == "maxlag"
    assert responses[2].json()["query"]["pages"][0]["title"] == "Ocean"


def test_maxlag_spares_requests_without_maxlag(wiki: FakeWiki) -> None:
    wiki.maxlag_failures = 5

    answer = query(wiki, "Ocean")

    assert answer["pages"][0]["title"] == "Ocean"


# --- Counters ----------------------------------------------------------------------------------


def test_counters_count_api_requests_and_titles_but_not_page_requests(
    wiki: FakeWiki, session: requests.Session
) -> None:
    session.get(api_url(wiki), params={**QUERY, "titles": "ocean|Ocean|Sea water"})
    session.post(api_url(wiki), data={**QUERY, "titles": "ocean"})

    assert (wiki.api_requests, wiki.api_titles_total) == (2, 4)
    assert wiki.api_titles_by_title == {"ocean": 2, "Ocean": 1, "Sea water": 1}
    assert wiki.requests_by_title == {}
    assert (wiki.requests_total, wiki.requests_by_method) == (2, {"GET": 1, "POST": 1})


def test_snapshot_includes_the_api_counters(wiki: FakeWiki, session: requests.Session) -> None:
    session.get(api_url(wiki), params={**QUERY, "titles": "Ocean|Sea"})

    snapshot = wiki.snapshot()

    assert (snapshot["api_requests"], snapshot["api_titles_total"]) == (1, 2)
    assert snapshot["api_titles_by_title"] == {"Ocean": 1, "Sea": 1}
    assert type(snapshot["api_titles_by_title"]) is dict


def test_reset_zeroes_the_api_counters_but_keeps_maxlag_failures(
    wiki: FakeWiki, session: requests.Session
) -> None:
    wiki.maxlag_failures = 1
    session.get(api_url(wiki), params={**QUERY, "maxlag": "5", "titles": "Ocean"})

    wiki.reset()

    assert (wiki.api_requests, wiki.api_titles_total, wiki.api_titles_by_title) == (0, 0, {})
    assert wiki.maxlag_failures == 1
    lagged = session.get(api_url(wiki), params={**QUERY, "maxlag": "5", "titles": "Ocean"})
    assert lagged.json()["error"]["code"] == "maxlag"


# --- Pages agree with the API ------------------------------------------------------------------


def test_redirect_page_answers_301_to_its_target(wiki: FakeWiki) -> None:
    response = requests.get(wiki.wiki_url + "redirect_to_ocean")

    assert [step.status_code for step in response.history] == [301]
    assert response.history[0].headers["Location"] == "/wiki/Ocean"
    assert (response.status_code, response.url) == (200, wiki.wiki_url + "Ocean")


def test_broken_redirect_page_ends_at_404(wiki: FakeWiki) -> None:
    response = requests.get(wiki.wiki_url + "Redirect_to_Missing_thing")

    assert [step.status_code for step in response.history] == [301]
    assert response.status_code == 404


def test_redirect_page_to_a_section_keeps_the_fragment(wiki: FakeWiki) -> None:
    response = requests.head(wiki.wiki_url + "Redirect_to_Ocean%23Deep_water")

    assert (response.status_code, response.headers["Location"]) == (301, "/wiki/Ocean#Deep_water")


def test_command_help_mentions_the_api() -> None:
    parser = parser_build()

    help_text = parser.format_help()

    assert "/w/api.php" in help_text
