"""Check many titles of one wiki in one MediaWiki Action API request. Speaks HTTP only."""

# `action=query&titles=A|B|…&redirects=1` answers, for each title, whether the page exists,
# what MediaWiki normalized the title to, where a redirect leads, and which titles are invalid,
# special or interwiki links; `prop=info|pageprops|revisions` adds each page's id, length,
# disambiguation flag, Wikidata item and last edit: one request for up to TITLES_PER_REQUEST
# titles, where page mode would send one each.

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import requests

from checks.probe.hosts import host_value
from checks.probe.outcome import Outcome, Verdict
from checks.probe.page import error_reason
from checks.probe.query_answer import query_merge, title_outcomes

# MediaWiki's limit of titles per query for clients without the apihighlimits right.
TITLES_PER_REQUEST = 50
# Past this length a query string is sent as a POST body instead (long URLs get refused).
MAX_GET_URL = 6000
# What every query asks of each page: existence, normalization, redirects followed, and the page's
# id, length, disambiguation flag, Wikidata item and last edit.
PAGE_QUERY = {
    "action": "query",
    "format": "json",
    "formatversion": "2",
    "redirects": "1",
    "prop": "info|pageprops|revisions",
    "ppprop": "disambiguation|wikibase_item",
    # Each page's latest revision (info's `touched` changes on purges, not only on edits).
    "rvprop": "timestamp",
}


def api_endpoint(*, url: str, api_paths: Sequence[tuple[str, str]]) -> str:
    """The api.php URL of the wiki `url` belongs to, from `(host pattern, path)` pairs; "" when
    the host has no API configured (its pages are then checked one request each)."""
    path = host_value(url=url, pairs=api_paths, default=None)
    if path is None:
        return ""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{path}"


def titles_check(
    *,
    api_url: str,
    titles: Sequence[str],
    session: requests.Session,
    timeout: tuple[float, float],
    maxlag: int = 5,
    maxlag_retries: int = 3,
    maxlag_wait_max: float = 30,
) -> dict[str, Outcome]:
    """The outcome of every title, keyed by the title as given."""
    started = time.perf_counter()
    checked_at = datetime.now(UTC)
    params = {**PAGE_QUERY, "maxlag": str(maxlag), "titles": "|".join(titles)}
    asker = ApiAsker(
        session=session,
        api_url=api_url,
        timeout=timeout,
        maxlag_retries=maxlag_retries,
        maxlag_wait_max=maxlag_wait_max,
    )
    try:
        query = asker.query(params, continuations=len(titles))
    except ApiFailed as failed:
        # One answer for every title: the request as a whole failed.
        outcome = Outcome(
            verdict=failed.verdict,
            http_status=failed.http_status,
            error=failed.error,
            elapsed_ms=share_ms(started, len(titles)),
            checked_at=checked_at,
        )
        return dict.fromkeys(titles, outcome)
    return title_outcomes(
        titles, query, elapsed_ms=share_ms(started, len(titles)), checked_at=checked_at
    )


# --- Asking the API ----------------------------------------------------------------------------


class ApiFailed(Exception):
    """The API gave no answer: why, as every title's outcome (or a source's error) will say."""

    def __init__(self, verdict: Verdict, *, http_status: int | None, error: str) -> None:
        super().__init__(error)
        self.verdict = verdict
        self.http_status = http_status
        self.error = error


@dataclass(frozen=True)
class ApiAsker:
    """How to ask one wiki's API: where, within what timeout, and how patiently while it lags."""

    session: requests.Session
    api_url: str
    timeout: tuple[float, float]
    maxlag_retries: int = 3
    maxlag_wait_max: float = 30

    def query(self, params: dict[str, str], *, continuations: int) -> dict:
        """The `query` part of the API's answer, with the answers to at most `continuations` of
        its `continue` requests merged in."""
        answer, _ = self.answer(params)
        query = answer.get("query", {})
        # Each continued answer brings at least one more page's data, so an API asking to
        # continue more often than there are titles is going round in circles.
        for _ in range(continuations):
            continuation = answer.get("continue")
            if not continuation:
                break
            answer, _ = self.answer({**params, **continuation})
            query = query_merge(query, later=answer.get("query", {}))
        return query

    def answer(self, params: dict[str, str]) -> tuple[dict, int]:
        """The API's answer to one request, asked again while the wiki reports lag, and the
        number of requests that took; raises ApiFailed when no answer came."""
        retries_left = self.maxlag_retries
        sent = 0
        while True:
            response, answer = _json_answer(
                self.session, api_url=self.api_url, params=params, timeout=self.timeout
            )
            sent += 1
            error = answer.get("error")
            if not error:
                return answer, sent
            if error.get("code") != "maxlag" or retries_left == 0:
                info = f"API error {error.get('code')}: {error.get('info', '')}".strip()
                raise ApiFailed(Verdict.UNKNOWN, http_status=200, error=info[:500])
            retries_left -= 1
            # The wiki's databases are lagging: bots are asked to pause for Retry-After seconds.
            time.sleep(min(_retry_after(response, default=5.0), self.maxlag_wait_max))


def _json_answer(
    session: requests.Session,
    *,
    api_url: str,
    params: dict[str, str],
    timeout: tuple[float, float],
) -> tuple[requests.Response, dict]:
    try:
        response = _send(session, api_url=api_url, params=params, timeout=timeout)
    except requests.RequestException as exc:
        raise ApiFailed(
            Verdict.ERROR, http_status=None, error=error_reason(exc, timeout=timeout)
        ) from None
    if response.status_code != 200:
        reason = f"HTTP {response.status_code} {response.reason or ''} from the API".strip()
        raise ApiFailed(Verdict.UNKNOWN, http_status=response.status_code, error=reason)
    try:
        return response, response.json()
    except ValueError:
        raise ApiFailed(
            Verdict.ERROR, http_status=200, error="BadResponse: the API did not answer JSON"
        ) from None


def _send(
    session: requests.Session,
    *,
    api_url: str,
    params: dict[str, str],
    timeout: tuple[float, float],
) -> requests.Response:
    prepared = requests.Request("GET", api_url, params=params).prepare()
    if len(prepared.url) <= MAX_GET_URL:
        return session.get(api_url, params=params, timeout=timeout)
    return session.post(api_url, data=params, timeout=timeout)


def _retry_after(response: requests.Response, *, default: float) -> float:
    try:
        return max(float(response.headers.get("Retry-After", default)), 0.0)
    except ValueError:
        return default


def share_ms(started: float, count: int) -> int:
    """Each title's share of the request's time, so per-page times add up to time spent."""
    return round((time.perf_counter() - started) * 1000 / max(count, 1))
