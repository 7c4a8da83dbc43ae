"""Check up to 50 titles of one wiki in one MediaWiki Action API request. Speaks HTTP only.

`action=query&titles=A|B|…&redirects=1` answers, for each title, whether the page exists,
what MediaWiki normalized the title to, where a redirect leads, and which titles are invalid,
special or interwiki links: one request where page mode would send fifty.
"""

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from urllib.parse import urlsplit

import requests

from checks.intake.parsing import host_allowed
from checks.probe.page import Outcome, Verdict, error_reason

# MediaWiki's limit of titles per query for clients without the apihighlimits right.
TITLES_PER_REQUEST = 50
# Past this length a query string is sent as a POST body instead (long URLs get refused).
MAX_GET_URL = 6000


def api_endpoint(*, url: str, api_paths: Sequence[tuple[str, str]]) -> str:
    """The api.php URL of the wiki `url` belongs to, from `(host pattern, path)` pairs; "" when
    the host has no API configured (its pages are then checked one request each)."""
    parts = urlsplit(url)
    for pattern, path in api_paths:
        if host_allowed(
            scheme=parts.scheme, host=parts.hostname or "", port=parts.port, patterns=[pattern]
        ):
            return f"{parts.scheme}://{parts.netloc}{path}"
    return ""


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

    def everyone(verdict: Verdict, *, http_status: int | None, error: str) -> dict[str, Outcome]:
        share = _share_ms(started, len(titles))
        return {
            title: Outcome(
                verdict=verdict,
                http_status=http_status,
                error=error,
                elapsed_ms=share,
                checked_at=checked_at,
            )
            for title in titles
        }

    for attempt in range(maxlag_retries + 1):
        try:
            response = _send(session, api_url=api_url, params=params, timeout=timeout)
        except requests.RequestException as exc:
            return everyone(
                Verdict.ERROR, http_status=None, error=error_reason(exc, timeout=timeout)
            )
        if response.status_code != 200:
            reason = f"HTTP {response.status_code} {response.reason or ''} from the API".strip()
            return everyone(Verdict.UNKNOWN, http_status=response.status_code, error=reason)
        try:
            answer = response.json()
        except ValueError:
            return everyone(
                Verdict.ERROR, http_status=200, error="BadResponse: the API did not answer JSON"
            )
        error = answer.get("error")
        if error and error.get("code") == "maxlag" and attempt < maxlag_retries:
            # The wiki's databases are lagging: bots are asked to pause for Retry-After seconds.
            time.sleep(min(_retry_after(response, default=5.0), maxlag_wait_max))
            continue
        if error:
            info = f"API error {error.get('code')}: {error.get('info', '')}".strip()
            return everyone(Verdict.UNKNOWN, http_status=200, error=info[:500])
        break
    return _outcomes(
        titles,
        answer.get("query", {}),
        elapsed_ms=_share_ms(started, len(titles)),
        checked_at=checked_at,
    )


def _send(session, *, api_url, params, timeout) -> requests.Response:
    prepared = requests.Request("GET", api_url, params=params).prepare()
    if len(prepared.url) <= MAX_GET_URL:
        return session.get(api_url, params=params, timeout=timeout)
    return session.post(api_url, data=params, timeout=timeout)


def _outcomes(
    titles: Sequence[str], query: dict, *, elapsed_ms: int, checked_at: datetime
) -> dict[str, Outcome]:
    normalized = {item["from"]: item["to"] for item in query.get("normalized", [])}
    redirects = {
        item["from"]: (item["to"], item.get("tofragment", ""))
        for item in query.get("redirects", [])
    }
    interwiki = {item["title"]: item.get("iw", "") for item in query.get("interwiki", [])}
    pages = {page["title"]: page for page in query.get("pages", [])}

    def outcome(verdict: Verdict, **fields) -> Outcome:
        # No HTTP status of the page's own: the API's 200 says nothing about it.
        return Outcome(
            verdict=verdict,
            http_status=None,
            elapsed_ms=elapsed_ms,
            checked_at=checked_at,
            **{"error": "", **fields},
        )

    results = {}
    for title in titles:
        name = normalized.get(title, title)
        as_normalized = name if name != title else ""
        if title in interwiki or name in interwiki:
            prefix = interwiki.get(title) or interwiki.get(name)
            results[title] = outcome(
                Verdict.UNKNOWN,
                note=f"interwiki link to '{prefix}': not checked on this wiki",
                normalized_title=as_normalized,
            )
            continue
        invalid = pages.get(title) or pages.get(name)
        if invalid and invalid.get("invalid"):
            reason = invalid.get("invalidreason", "MediaWiki rejected the title")
            results[title] = outcome(Verdict.INVALID, error=reason)
            continue
        target, fragment = _follow(redirects, name)
        page = pages.get(target or name)
        if page is None:
            results[title] = outcome(
                Verdict.UNKNOWN,
                error="the API did not report this title",
                normalized_title=as_normalized,
            )
            continue
        results[title] = outcome(
            Verdict.MISSING if page.get("missing") else Verdict.EXISTS,
            normalized_title=as_normalized,
            redirect_target=f"{target}#{fragment}" if target and fragment else target,
            note=_note(page),
        )
    return results


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
