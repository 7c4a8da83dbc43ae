"""Clients of the fake wiki for the tests of this folder: many at once, and api.php asked the way
wikicheck asks it."""

import threading
from concurrent.futures import ThreadPoolExecutor

import requests

from fakewiki.server import FakeWiki

QUERY = {"action": "query", "format": "json", "formatversion": "2", "redirects": "1"}


def get_all_at_once(urls: list[str]) -> list[requests.Response]:
    """GET every URL from its own thread and connection, all released together by a barrier."""
    barrier = threading.Barrier(len(urls))

    def get(url: str) -> requests.Response:
        barrier.wait()
        return requests.get(url, timeout=10)

    with ThreadPoolExecutor(max_workers=len(urls)) as pool:
        return list(pool.map(get, urls))


def api_url(wiki: FakeWiki) -> str:
    return wiki.url + "/w/api.php"


def query(wiki: FakeWiki, *titles: str, **params: str) -> dict:
    """The `query` part of the answer to `titles`, asked the way wikicheck asks."""
    response = requests.get(api_url(wiki), params={**QUERY, **params, "titles": "|".join(titles)})
    return response.json()["query"]
