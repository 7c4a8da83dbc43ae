"""Pages deleted or created on a running fake wiki, on /wiki/ pages and in api.php, in this
process or from another one over HTTP (fakewiki/edits.py, FakeWiki's edits, the `pages` control
endpoint)."""

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from fakewiki.server import FakeWiki
from fakewiki.titles import InvalidTitle
from tests.unit.fakewiki.clients import QUERY, api_url, query


def pages_url(wiki: FakeWiki) -> str:
    return f"{wiki.url}/__fakewiki/pages"


# --- Deleting ----------------------------------------------------------------------------------


def test_a_deleted_page_answers_404(wiki: FakeWiki) -> None:
    wiki.page_delete("Ocean")

    response = requests.get(wiki.wiki_url + "Ocean", timeout=5)

    assert response.status_code == 404
    assert "This page does not exist." in response.text


def test_a_deleted_page_is_missing_in_the_api(wiki: FakeWiki) -> None:
    wiki.page_delete("Ocean")

    pages = query(wiki, "Ocean")["pages"]

    assert pages == [{"ns": 0, "title": "Ocean", "missing": True}]


def test_a_title_is_deleted_as_mediawiki_reads_it(wiki: FakeWiki) -> None:
    wiki.page_delete("ocean_floor")

    response = requests.get(wiki.wiki_url + "Ocean_floor", timeout=5)
    lower_case = requests.get(wiki.wiki_url + "ocean_floor", timeout=5)

    assert (response.status_code, lower_case.status_code) == (404, 404)
    assert query(wiki, "Ocean floor")["pages"][0]["missing"] is True


def test_other_pages_still_exist_after_a_deletion(wiki: FakeWiki) -> None:
    wiki.page_delete("Ocean")

    response = requests.get(wiki.wiki_url + "Island", timeout=5)

    assert response.status_code == 200
    assert "pageid" in query(wiki, "Island")["pages"][0]


def test_a_deleted_redirect_is_missing_and_leads_nowhere(wiki: FakeWiki) -> None:
    wiki.page_delete("Redirect to Ocean")

    response = requests.get(wiki.wiki_url + "Redirect_to_Ocean", timeout=5)
    answer = query(wiki, "Redirect to Ocean")

    assert (response.status_code, response.history) == (404, [])
    assert "redirects" not in answer
    assert answer["pages"] == [{"ns": 0, "title": "Redirect to Ocean", "missing": True}]


def test_a_deleted_links_page_links_nowhere(wiki: FakeWiki) -> None:
    wiki.page_delete("Links 20")
    params = {**QUERY, "generator": "links", "titles": "Links 20"}

    answer = requests.get(api_url(wiki), params=params, timeout=5).json()

    assert answer == {"batchcomplete": True}


# --- Creating ----------------------------------------------------------------------------------


def test_a_created_page_exists_although_the_rule_says_missing(wiki: FakeWiki) -> None:
    wiki.page_create("Missing moon")

    response = requests.get(wiki.wiki_url + "Missing_moon", timeout=5)
    page = query(wiki, "Missing moon")["pages"][0]

    assert response.status_code == 200
    assert page["pageid"] > 0
    assert "missing" not in page


def test_a_redirect_to_a_created_page_is_not_broken(wiki: FakeWiki) -> None:
    wiki.page_create("Missing moon")

    response = requests.get(wiki.wiki_url + "Redirect_to_Missing_moon", timeout=5)
    answer = query(wiki, "Redirect to Missing moon")

    assert [step.status_code for step in response.history] == [301]
    assert response.status_code == 200
    assert answer["redirects"] == [{"from": "Redirect to Missing moon", "to": "Missing moon"}]
    assert "pageid" in answer["pages"][0]


# --- Editing again, clearing -------------------------------------------------------------------


def test_deleting_a_created_page_makes_it_missing_again(wiki: FakeWiki) -> None:
    wiki.page_create("Missing moon")

    wiki.page_delete("Missing moon")

    assert requests.get(wiki.wiki_url + "Missing_moon", timeout=5).status_code == 404
    assert query(wiki, "Missing moon")["pages"][0]["missing"] is True


def test_creating_a_deleted_page_makes_it_exist_again(wiki: FakeWiki) -> None:
    wiki.page_delete("Ocean")

    wiki.page_create("Ocean")

    assert requests.get(wiki.wiki_url + "Ocean", timeout=5).status_code == 200
    assert "pageid" in query(wiki, "Ocean")["pages"][0]


def test_edits_clear_lets_the_rule_decide_again(wiki: FakeWiki) -> None:
    wiki.page_delete("Ocean")
    wiki.page_create("Missing moon")

    wiki.edits_clear()

    assert requests.get(wiki.wiki_url + "Ocean", timeout=5).status_code == 200
    assert requests.get(wiki.wiki_url + "Missing_moon", timeout=5).status_code == 404


def test_reset_zeroes_the_counters_but_keeps_the_edits(wiki: FakeWiki) -> None:
    wiki.page_delete("Ocean")
    requests.get(wiki.wiki_url + "Ocean", timeout=5)

    wiki.reset()

    assert wiki.requests_total == 0
    assert requests.get(wiki.wiki_url + "Ocean", timeout=5).status_code == 404


@pytest.mark.parametrize("title", ["Special:Random", "wikt:sea"])
def test_special_and_interwiki_titles_cannot_be_edited(wiki: FakeWiki, title: str) -> None:
    with pytest.raises(ValueError, match="no page of this wiki"):
        wiki.page_delete(title)

    assert wiki.edits.snapshot() == {"deleted": [], "created": []}


def test_an_invalid_title_cannot_be_edited(wiki: FakeWiki) -> None:
    with pytest.raises(InvalidTitle):
        wiki.page_create("A[b")


def test_edits_from_many_threads_at_once_are_all_kept(wiki: FakeWiki) -> None:
    titles = [f"Page {number}" for number in range(200)]

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(wiki.page_delete, titles))

    assert wiki.edits.snapshot()["deleted"] == sorted(titles)


# --- From another process: POST /__fakewiki/pages ----------------------------------------------


def test_pages_endpoint_applies_edits_and_answers_them_uncounted(
    wiki: FakeWiki, session: requests.Session
) -> None:
    edits = {"delete": ["ocean"], "create": ["Missing_moon"]}

    response = session.post(pages_url(wiki), json=edits, timeout=5)

    assert response.status_code == 200
    assert response.json() == {"deleted": ["Ocean"], "created": ["Missing moon"]}
    assert session.get(wiki.wiki_url + "Ocean", timeout=5).status_code == 404
    assert session.get(wiki.wiki_url + "Missing_moon", timeout=5).status_code == 200
    assert wiki.requests_by_title == {"Ocean": 1, "Missing moon": 1}


def test_pages_endpoint_answers_every_edit_so_far(
    wiki: FakeWiki, session: requests.Session
) -> None:
    wiki.page_delete("Ocean")

    response = session.post(pages_url(wiki), json={"delete": ["Island"]}, timeout=5)

    assert response.json() == {"deleted": ["Island", "Ocean"], "created": []}


def test_pages_endpoint_clears_the_edits(wiki: FakeWiki, session: requests.Session) -> None:
    wiki.page_delete("Ocean")
    wiki.page_create("Missing moon")

    response = session.post(pages_url(wiki), json={"clear": True}, timeout=5)

    assert response.json() == {"deleted": [], "created": []}
    assert session.get(wiki.wiki_url + "Ocean", timeout=5).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b'["Ocean"]',
        b'{"deleted": ["Ocean"]}',
        b'{"delete": "Ocean"}',
        b'{"delete": [1]}',
        b'{"clear": "yes"}',
        b'{"delete": ["Ocean", "A[b"]}',
        b'{"delete": ["Ocean"], "create": ["Special:Random"]}',
    ],
)
def test_pages_endpoint_refuses_a_bad_body_and_changes_nothing(
    wiki: FakeWiki, session: requests.Session, body: bytes
) -> None:
    response = session.post(
        pages_url(wiki), data=body, headers={"Content-Type": "application/json"}, timeout=5
    )

    assert response.status_code == 400
    assert response.json()["error"]
    assert wiki.edits.snapshot() == {"deleted": [], "created": []}


def test_pages_endpoint_answers_404_to_get(wiki: FakeWiki, session: requests.Session) -> None:
    response = session.get(pages_url(wiki), timeout=5)

    assert response.status_code == 404
