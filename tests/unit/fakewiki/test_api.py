"""The fake wiki's MediaWiki Action API at /w/api.php about titles (fakewiki/api.py and
fakewiki/query.py); how it reads titles is in test_titles.py, its generators in
test_generators.py."""

import time

import pytest
import requests

from fakewiki.server import FakeWiki
from tests.unit.fakewiki.clients import QUERY, api_url, query

PROPS = {
    "prop": "info|pageprops|revisions",
    "ppprop": "disambiguation|wikibase_item",
    "rvprop": "timestamp",
}

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


# --- Page data: prop=info|pageprops|revisions --------------------------------------------------


def test_prop_adds_info_properties_and_the_last_revision(wiki: FakeWiki) -> None:
    entry = query(wiki, "Mercury", **PROPS)["pages"][0]

    assert set(entry) >= {"pageid", "touched", "lastrevid", "length", "pageprops", "revisions"}
    assert entry["pageprops"] == {"disambiguation": "", "wikibase_item": f"Q{entry['pageid']}"}
    assert list(entry["revisions"][0]) == ["timestamp"]
    assert entry["revisions"][0]["timestamp"].endswith("Z")


def test_ppprop_keeps_only_the_properties_named(wiki: FakeWiki) -> None:
    entry = query(wiki, "Mercury", **{**PROPS, "ppprop": "disambiguation"})["pages"][0]

    assert entry["pageprops"] == {"disambiguation": ""}


def test_a_redirect_resolved_gives_the_data_of_its_target(wiki: FakeWiki) -> None:
    answer = query(wiki, "Redirect to Mercury", **PROPS)

    assert [entry["title"] for entry in answer["pages"]] == ["Mercury"]
    assert "disambiguation" in answer["pages"][0]["pageprops"]


# --- Continuation ------------------------------------------------------------------------------


def continued(wiki: FakeWiki, session: requests.Session, titles: list[str]) -> list[dict]:
    """Every answer to `titles`, following `continue` as MediaWiki's clients do."""
    params = {**QUERY, **PROPS, "titles": "|".join(titles)}
    answers = [session.get(api_url(wiki), params=params).json()]
    while "continue" in answers[-1]:
        more = {**params, **answers[-1]["continue"]}
        answers.append(session.get(api_url(wiki), params=more).json())
    return answers


def test_prop_continue_after_leaves_the_rest_to_continue(
    wiki: FakeWiki, session: requests.Session
) -> None:
    wiki.prop_continue_after = 2

    first = continued(wiki, session, ["Ocean", "Mercury", "Island", "Lake", "Sea"])[0]

    assert "batchcomplete" not in first
    assert set(first["continue"]) == {"ppcontinue", "rvcontinue", "continue"}
    assert first["continue"]["continue"] == "||info"
    with_revisions = [entry for entry in first["query"]["pages"] if "revisions" in entry]
    assert len(with_revisions) == 2
    assert len(first["query"]["pages"]) == 5


def test_continued_answers_give_each_page_its_data_once_and_are_counted(
    wiki: FakeWiki, session: requests.Session
) -> None:
    wiki.prop_continue_after = 2
    titles = ["Ocean", "Mercury", "Island", "Lake", "Sea"]

    answers = continued(wiki, session, titles)

    revised = [
        entry["title"]
        for answer in answers
        for entry in answer["query"]["pages"]
        if "revisions" in entry
    ]
    assert sorted(revised) == sorted(titles)
    assert answers[-1]["batchcomplete"] is True
    # info was complete after the first answer: the continued ones leave it out.
    assert all("length" not in entry for entry in answers[1]["query"]["pages"])
    assert (wiki.api_requests, wiki.api_titles_total) == (3, 15)


def test_without_the_knob_one_answer_carries_everything(
    wiki: FakeWiki, session: requests.Session
) -> None:
    answers = continued(wiki, session, [f"Page {number}" for number in range(50)])

    assert len(answers) == 1
    assert all("revisions" in entry for entry in answers[0]["query"]["pages"])


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
