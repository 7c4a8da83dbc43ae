"""Check whether one page exists over HTTP, and explain why a request failed."""

import http.client
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from urllib.parse import parse_qs, unquote, urlsplit

import requests
import urllib3

from checks.probe.destinations import AddressRefused, HostRefused
from checks.probe.outcome import Outcome, Verdict
from checks.probe.session import RedirectBlocked

# Some servers refuse HEAD; for these answers the page is fetched with GET instead.
HEAD_REFUSED = frozenset({405, 501})


def verdict_for(http_status: int) -> Verdict:
    if http_status == 200:
        return Verdict.EXISTS
    if http_status == 404:
        return Verdict.MISSING
    return Verdict.UNKNOWN


def page_check(url: str, *, session: requests.Session, timeout: tuple[float, float]) -> Outcome:
    """HEAD the page (following redirects); fall back to a GET whose body is never read. Where
    redirects led is recorded with the verdict of the page they end at."""
    started = time.perf_counter()
    checked_at = datetime.now(UTC)
    try:
        response = session.head(url, allow_redirects=True, timeout=timeout)
        if response.status_code in HEAD_REFUSED:
            # stream=True returns after the headers; closing drops the body unread.
            with session.get(url, allow_redirects=True, timeout=timeout, stream=True) as response:
                pass
    except requests.RequestException as exc:
        return Outcome(
            verdict=Verdict.ERROR,
            http_status=None,
            error=error_reason(exc, timeout=timeout),
            elapsed_ms=_elapsed_ms(started),
            checked_at=checked_at,
            note=_loop_seen(exc),
        )
    verdict = verdict_for(response.status_code)
    return Outcome(
        verdict=verdict,
        http_status=response.status_code,
        error=_status_reason(response) if verdict == Verdict.UNKNOWN else "",
        elapsed_ms=_elapsed_ms(started),
        checked_at=checked_at,
        **_redirect_fields(url, response=response),
    )


# --- Redirects -------------------------------------------------------------------------------


def loop_note(*, path: Sequence[str]) -> str:
    """What a row says of redirects that go round: `path` is the titles on the way, the first
    asked, the last one met again."""
    if len(path) == 2:
        return "redirects to itself"
    return "redirect loop: " + " → ".join(path)


def _url_title(url: str) -> str:
    """The page title a wiki URL names (`/wiki/<title>` or `index.php?title=`), decoded; "" for
    other URLs."""
    parts = urlsplit(url)
    _, wiki, name = parts.path.partition("/wiki/")
    if wiki:
        return unquote(name).replace("_", " ")
    return parse_qs(parts.query).get("title", [""])[0].replace("_", " ")


def _redirect_fields(url: str, *, response: requests.Response) -> dict[str, str]:
    """Where redirects led, when there were some: the final URL, and its title as the target (or
    as the normalized title, when only the first letter's case or underscores changed; a URL
    that is no wiki page's is its own target)."""
    if not response.history:
        return {}
    asked, reached = _url_title(url), _url_title(response.url)
    if reached and reached == asked:
        # The same page at another address: https, or /wiki/ for index.php.
        return {"final_url": response.url}
    if reached and asked[:1].upper() + asked[1:] == reached:
        return {"final_url": response.url, "normalized_title": reached}
    fragment = unquote(urlsplit(response.url).fragment).replace("_", " ")
    target = f"{reached}#{fragment}" if reached and fragment else reached or response.url
    return {"final_url": response.url, "redirect_target": target}


def _loop_seen(exc: requests.RequestException) -> str:
    """The loop a request that gave up on redirects went round, if the URLs it saw repeat."""
    if not isinstance(exc, requests.TooManyRedirects) or exc.response is None:
        return ""
    seen: list[str] = []
    for response in [*exc.response.history, exc.response]:
        here = response.url.partition("#")[0]
        if here in seen:
            return loop_note(path=[_url_title(url) or url for url in [*seen, here]])
        seen.append(here)
    return ""


# --- Explaining failures ---------------------------------------------------------------------

# The innermost cause that matches names the failure, since wrappers (requests'
# ConnectionError, urllib3's MaxRetryError) say little. Subclasses come before their bases:
# RemoteDisconnected is a ConnectionResetError, and urllib3 files NameResolutionError and a
# refused connection under ConnectTimeoutError.
FAILURES: tuple[tuple[type[BaseException], str, str], ...] = (
    (RedirectBlocked, "RedirectBlocked", "{detail}"),
    (HostRefused, "HostRefused", "{detail}"),
    (AddressRefused, "AddressRefused", "{detail}"),
    (requests.TooManyRedirects, "TooManyRedirects", "more than 10 redirects (a redirect loop?)"),
    (urllib3.exceptions.NameResolutionError, "NameResolutionError", "{detail}"),
    (http.client.RemoteDisconnected, "RemoteDisconnected", "the server closed the connection"),
    (ConnectionRefusedError, "ConnectionRefused", "the server refused the connection"),
    (ConnectionResetError, "ConnectionReset", "the connection was reset mid-response"),
    (http.client.LineTooLong, "BadResponse", "a header line is too long"),
    (http.client.BadStatusLine, "BadResponse", "malformed status line"),
    (http.client.HTTPException, "BadResponse", "{detail}"),
    (requests.ConnectTimeout, "ConnectTimeout", "no connection within {connect} s"),
    (urllib3.exceptions.ConnectTimeoutError, "ConnectTimeout", "no connection within {connect} s"),
    (requests.ReadTimeout, "ReadTimeout", "no answer within {read} s"),
    (urllib3.exceptions.ReadTimeoutError, "ReadTimeout", "no answer within {read} s"),
    (requests.exceptions.SSLError, "SSLError", "{detail}"),
)


# Refusals by wikicheck itself: their whole message is the reason, prefixes and all.
OWN_MESSAGES = frozenset({RedirectBlocked, HostRefused, AddressRefused})


def error_reason(exc: BaseException, *, timeout: tuple[float, float]) -> str:
    """A short, specific explanation of a failed request: `Class: what happened`."""
    for cause in reversed(list(_causes(exc))):
        for kind, label, template in FAILURES:
            if isinstance(cause, kind):
                detail = cause if kind in OWN_MESSAGES else str(cause).split(": ", 1)[-1]
                message = template.format(detail=detail, connect=timeout[0], read=timeout[1])
                return f"{label}: {message}"[:500]
    return f"{type(exc).__name__}: {exc}"[:500]


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception, then what caused it, innermost last (urllib3 keeps causes in `.reason`)."""
    seen: set[int] = set()
    pending: list[object] = [exc]
    while pending:
        current = pending.pop(0)
        # `.reason` is not always an exception: ssl's errors keep a text there.
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        nested = [a for a in current.args if isinstance(a, BaseException)]
        pending += [*nested, getattr(current, "reason", None), current.__cause__]
        pending.append(current.__context__)


def _status_reason(response: requests.Response) -> str:
    retries = getattr(response.raw, "retries", None)
    attempts = len(retries.history) + 1 if retries is not None else 1
    reason = f"HTTP {response.status_code} {response.reason or ''}".rstrip()
    return f"{reason} after {attempts} attempts" if attempts > 1 else reason


def _elapsed_ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
