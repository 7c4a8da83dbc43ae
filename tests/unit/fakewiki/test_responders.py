"""What the fake wiki's pages answer (fakewiki/responders.py)."""

import pytest
import requests

from fakewiki.server import FakeWiki

# --- Pages -------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_existing_title_answers_200(wiki: FakeWiki, method: str) -> None:
    response = requests.request(method, wiki.wiki_url + "Python_(programming_language)")

    assert response.status_code == 200


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize(
    "title", ["Missing_page", "missing_in_lower_case", "Page_that_does_not_exist", "DOES_NOT_EXIST"]
)
def test_missing_titles_answer_404(wiki: FakeWiki, method: str, title: str) -> None:
    response = requests.request(method, wiki.wiki_url + title)

    assert response.status_code == 404


def test_page_names_its_title_html_escaped(wiki: FakeWiki) -> None:
    response = requests.get(wiki.wiki_url + "Fish_%26_<chips>")

    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "<title>Fish &amp; &lt;chips&gt; - Fake wiki</title>" in response.text


def test_head_sends_the_get_headers_without_a_body(
    wiki: FakeWiki, session: requests.Session
) -> None:
    got = session.get(wiki.wiki_url + "Earth")

    head = session.head(wiki.wiki_url + "Earth")

    assert head.headers["Content-Length"] == got.headers["Content-Length"] != "0"
    assert head.content == b""


def test_other_paths_answer_404_with_a_text_body(wiki: FakeWiki) -> None:
    response = requests.get(wiki.url + "/robots.txt")

    assert response.status_code == 404
    assert response.text == "Not found\n"


def test_encoded_titles_are_decoded_and_counted_under_one_title(
    wiki: FakeWiki, session: requests.Session
) -> None:
    session.get(wiki.wiki_url + "Caf%C3%A9_au_lait")
    session.head(wiki.url + "/w/index.php?title=Caf%C3%A9_au_lait")

    assert wiki.requests_by_title == {"Café au lait": 2}


def test_head_status_rejects_head_but_not_get(wiki: FakeWiki, session: requests.Session) -> None:
    wiki.head_status = 405

    head = session.head(wiki.wiki_url + "Earth")
    got = session.get(wiki.wiki_url + "Earth")

    assert (head.status_code, head.content) == (405, b"")
    assert got.status_code == 200


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
