"""What the fake wiki counts of its clients' requests (fakewiki/counters.py), read in this
process or from another one over HTTP."""

import requests

from fakewiki.server import FakeWiki
from tests.unit.fakewiki.clients import QUERY, api_url, get_all_at_once

# --- Pages -------------------------------------------------------------------------------------


def test_counters_count_requests_per_title_and_method(
    wiki: FakeWiki, session: requests.Session
) -> None:
    session.get(wiki.wiki_url + "Earth")
    session.head(wiki.wiki_url + "Earth")
    session.get(wiki.wiki_url + "Missing_moon")

    assert wiki.requests_total == 3
    assert wiki.requests_by_title == {"Earth": 2, "Missing moon": 1}
    assert wiki.requests_by_method == {"GET": 2, "HEAD": 1}


def test_peak_concurrency_counts_overlapping_requests(wiki: FakeWiki) -> None:
    wiki.latency_ms = 200

    get_all_at_once([wiki.wiki_url + "Earth"] * 4)

    assert wiki.peak_concurrency >= 4


def test_peak_concurrency_by_host_is_keyed_by_host_header_and_reset(wiki: FakeWiki) -> None:
    wiki.latency_ms = 200
    by_ip = [wiki.wiki_url + "Earth"] * 3
    by_name = [f"http://localhost:{wiki.port}/wiki/Earth"] * 2
    get_all_at_once(by_ip + by_name)
    peaks = dict(wiki.peak_concurrency_by_host)

    wiki.reset()

    assert peaks == {f"127.0.0.1:{wiki.port}": 3, f"localhost:{wiki.port}": 2}
    assert wiki.snapshot()["peak_concurrency_by_host"] == {}


def test_reset_zeroes_the_counters_but_keeps_the_knobs(
    wiki: FakeWiki, session: requests.Session
) -> None:
    wiki.latency_ms, wiki.head_status = 1, 405
    session.get(wiki.wiki_url + "Earth")

    wiki.reset()

    assert wiki.snapshot() == {
        "requests_total": 0,
        "requests_by_method": {},
        "requests_by_title": {},
        "connections_total": 0,
        "connections_open": 1,
        "peak_concurrency": 0,
        "peak_concurrency_by_host": {},
        "api_requests": 0,
        "api_titles_total": 0,
        "api_titles_by_title": {},
        "api_generator_requests": {},
    }
    assert (wiki.latency_ms, wiki.head_status) == (1, 405)


def test_snapshot_reports_the_counters_as_plain_values(
    wiki: FakeWiki, session: requests.Session
) -> None:
    session.get(wiki.wiki_url + "Earth")

    snapshot = wiki.snapshot()

    assert snapshot == {
        "requests_total": 1,
        "requests_by_method": {"GET": 1},
        "requests_by_title": {"Earth": 1},
        "connections_total": 1,
        "connections_open": 1,
        "peak_concurrency": 1,
        "peak_concurrency_by_host": {f"127.0.0.1:{wiki.port}": 1},
        "api_requests": 0,
        "api_titles_total": 0,
        "api_titles_by_title": {},
        "api_generator_requests": {},
    }
    assert type(snapshot["requests_by_title"]) is dict


def test_last_user_agent_records_what_the_client_sent(wiki: FakeWiki) -> None:
    requests.get(wiki.wiki_url + "Earth", headers={"User-Agent": "wikicheck-test/1.0"})

    assert wiki.last_user_agent == "wikicheck-test/1.0"


def test_counters_can_be_read_and_reset_over_http_without_counting_those_requests(
    wiki: FakeWiki, session: requests.Session
) -> None:
    session.get(wiki.wiki_url + "Earth")
    session.post(f"{wiki.url}/__fakewiki/reset", timeout=5)
    for title in ("Ocean", "Island"):
        requests.head(f"{wiki.wiki_url}{title}", timeout=5)

    stats = session.get(f"{wiki.url}/__fakewiki/stats", timeout=5).json()

    assert stats["requests_total"] == 2
    assert stats["requests_by_title"] == {"Ocean": 1, "Island": 1}
    assert stats["connections_total"] == 2


# --- api.php -----------------------------------------------------------------------------------


def test_counters_count_api_requests_and_titles_but_not_page_requests(
    wiki: FakeWiki, session: requests.Session
) -> None:
    session.get(api_url(wiki), params={**QUERY, "titles": "ocean|Ocean|Sea water"})
    session.post(api_url(wiki), data={**QUERY, "titles": "ocean"})

    assert (wiki.api_requests, wiki.api_titles_total) == (2, 4)
    assert wiki.api_titles_by_title == {"ocean": 2, "Ocean": 1, "Sea water": 1}
    assert wiki.requests_by_title == {}
    assert (wiki.requests_total, wiki.requests_by_method) == (2, {"GET": 1, "POST": 1})


def test_a_generator_request_counts_once_by_its_generator_and_not_its_source_title(
    wiki: FakeWiki, session: requests.Session
) -> None:
    links = {**QUERY, "generator": "links", "titles": "Links 20"}
    session.get(api_url(wiki), params=links)
    session.get(api_url(wiki), params={**QUERY, "generator": "categorymembers", "gcmtitle": "x"})
    session.get(api_url(wiki), params={**QUERY, "titles": "Ocean"})

    assert wiki.api_requests == 3
    assert wiki.api_generator_requests == {"links": 1, "categorymembers": 1}
    assert (wiki.api_titles_total, wiki.api_titles_by_title) == (1, {"Ocean": 1})
    assert wiki.snapshot()["api_generator_requests"] == {"links": 1, "categorymembers": 1}


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
