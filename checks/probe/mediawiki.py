"""Check many titles of one wiki in one MediaWiki Action API request. Speaks HTTP only."""

# `action=query&titles=A|B|…&redirects=1` answers, for each title, whether the page exists,
# what MediaWiki normalized the title to, where a redirect leads, and which titles are invalid,
# special or interwiki links: one request for up to TITLES_PER_REQUEST titles, where page mode
# would send one each.

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import requests

from checks.probe.hosts import host_value
from checks.probe.outcome import Outcome, Verdict
from checks.probe.page import error_reason

# MediaWiki's limit of titles per query for clients without the apihighlimits right.
TITLES_PER_REQUEST = 50
# Past this length a query string is sent as a POST body instead (long URLs get refused).
MAX_GET_URL = 6000


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
    params = {
        "action": "query",
        "format": "json",
        "formatversion": "2",
        "redirects": "1",
        "maxlag": str(maxlag),
        "titles": "|".join(titles),
    }
    try:
        query = _query(
            session,
            api_url=api_url,
            params=params,
            timeout=timeout,
            maxlag_retries=maxlag_retries,
            maxlag_wait_max=maxlag_wait_max,
        )
    except _Failed as failed:
        # One answer for every title: the request as a whole failed.
        outcome = Outcome(
            verdict=failed.verdict,
            http_status=failed.http_status,
            error=failed.error,
            elapsed_ms=_share_ms(started, len(titles)),
            checked_at=checked_at,
        )
        return dict.fromkeys(titles, outcome)
    return _outcomes(
        titles, query, elapsed_ms=_share_ms(started, len(titles)), checked_at=checked_at
    )


# --- Asking the API ----------------------------------------------------------------------------


class _Failed(Exception):
    """The API gave no answer about the titles: why, as every title's outcome will say."""

    def __init__(self, verdict: Verdict, *, http_status: int | None, error: str) -> None:
        super().__init__(error)
        self.verdict = verdict
        self.http_status = http_status
        self.error = error


def _query(
    session: requests.Session,
    *,
    api_url: str,
    params: dict[str, str],
    timeout: tuple[float, float],
    maxlag_retries: int,
    maxlag_wait_max: float,
) -> dict:
    """The `query` part of the API's answer, asked again while the wiki reports lag."""
    retries_left = maxlag_retries
    while True:
        response, answer = _json_answer(session, api_url=api_url, params=params, timeout=timeout)
        error = answer.get("error")
        if not error:
            return answer.get("query", {})
        if error.get("code") != "maxlag" or retries_left == 0:
            info = f"API error {error.get('code')}: {error.get('info', '')}".strip()
            raise _Failed(Verdict.UNKNOWN, http_status=200, error=info[:500])
        retries_left -= 1
        # The wiki's databases are lagging: bots are asked to pause for Retry-After seconds.
        time.sleep(min(_retry_after(response, default=5.0), maxlag_wait_max))


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
        raise _Failed(
            Verdict.ERROR, http_status=None, error=error_reason(exc, timeout=timeout)
        ) from None
    if response.status_code != 200:
        reason = f"HTTP {response.status_code} {response.reason or ''} from the API".strip()
        raise _Failed(Verdict.UNKNOWN, http_status=response.status_code, error=reason)
    try:
        return response, response.json()
    except ValueError:
        raise _Failed(
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


# --- Reading the answer ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Answer:
    """The parts of `action=query`'s answer that each title's outcome is read from."""

    normalized: dict[str, str]
    redirects: dict[str, tuple[str, str]]
    interwiki: dict[str, str]
    pages: dict[str, dict]

    @classmethod
    def from_query(cls, query: dict) -> "_Answer":
        return cls(
            normalized={item["from"]: item["to"] for item in query.get("normalized", [])},
            redirects={
                item["from"]: (item["to"], item.get("tofragment", ""))
                for item in query.get("redirects", [])
            },
            interwiki={item["title"]: item.get("iw", "") for item in query.get("interwiki", [])},
            pages={page["title"]: page for page in query.get("pages", [])},
        )


def _outcomes(
    titles: Sequence[str], query: dict, *, elapsed_ms: int, checked_at: datetime
) -> dict[str, Outcome]:
    answer = _Answer.from_query(query)
    # No HTTP status of the page's own: the API's 200 says nothing about it.
    return {
        title: Outcome(
            http_status=None,
            elapsed_ms=elapsed_ms,
            checked_at=checked_at,
            **{"error": "", **_title_fields(title, answer=answer)},
        )
        for title in titles
    }


def _title_fields(title: str, *, answer: _Answer) -> dict:
    """What the answer says about `title`: its verdict and the Outcome fields that go with it."""
    name = answer.normalized.get(title, title)
    as_normalized = name if name != title else ""
    if title in answer.interwiki or name in answer.interwiki:
        prefix = answer.interwiki.get(title) or answer.interwiki.get(name)
        return {
            "verdict": Verdict.UNKNOWN,
            "note": f"interwiki link to '{prefix}': not checked on this wiki",
            "normalized_title": as_normalized,
        }
    invalid = answer.pages.get(title) or answer.pages.get(name)
    if invalid and invalid.get("invalid"):
        reason = invalid.get("invalidreason", "MediaWiki rejected the title")
        return {"verdict": Verdict.INVALID, "error": reason}
    target, fragment = _follow(answer.redirects, name)
    page = answer.pages.get(target or name)
    if page is None:
        return {
            "verdict": Verdict.UNKNOWN,
            "error": "the API did not report this title",
            "normalized_title": as_normalized,
        }
    return {
        "verdict": Verdict.MISSING if page.get("missing") else Verdict.EXISTS,
        "normalized_title": as_normalized,
        "redirect_target": f"{target}#{fragment}" if target and fragment else target,
        "note": _note(page),
    }


def _follow(redirects: dict[str, tuple[str, str]], name: str) -> tuple[str, str]:
    """Where a chain of redirects from `name` ends, and the last section asked for."""
    target, fragment, seen = "", "", {name}
    while name in redirects:
        name, step_fragment = redirects[name]
        if name in seen:
            break
        seen.add(name)
        target, fragment = name, step_fragment or fragment
    return target, fragment


def _note(page: dict) -> str:
    if page.get("ns") == -2:
        return "media link: checked as its file"
    if page.get("special"):
        return "special page: generated by the wiki, not stored"
    return ""


def _retry_after(response: requests.Response, *, default: float) -> float:
    try:
        return max(float(response.headers.get("Retry-After", default)), 0.0)
    except ValueError:
        return default


def _share_ms(started: float, count: int) -> int:
    """Each title's share of the request's time, so per-page times add up to time spent."""
    return round((time.perf_counter() - started) * 1000 / max(count, 1))
