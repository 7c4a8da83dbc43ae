"""Check whether one page exists over HTTP. Speaks `requests`; knows nothing of Django models."""

import enum
import http.client
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from urllib3.util import Retry

import checks
from checks.intake.parsing import host_allowed
from checks.probe.destinations import AddressRefused, Destinations, HostRefused
from checks.probe.politeness import PoliteAdapter

# Some servers refuse HEAD; for these answers the page is fetched with GET instead.
HEAD_REFUSED = frozenset({405, 501})
# Answers worth asking again after a pause: overload and gateway hiccups, not server bugs (500).
RETRY_STATUSES = frozenset({429, 502, 503, 504})
# Keeps a quoted redirect target readable however long the remote server made it.
MAX_TARGET_SHOWN = 200


class Verdict(enum.StrEnum):
    EXISTS = "exists"
    MISSING = "missing"
    UNKNOWN = "unknown"
    ERROR = "error"
    INVALID = "invalid"


@dataclass(frozen=True)
class Outcome:
    verdict: Verdict
    http_status: int | None
    error: str
    elapsed_ms: int
    checked_at: datetime
    redirect_target: str = ""
    normalized_title: str = ""
    note: str = ""


class RedirectBlocked(requests.RequestException):
    """A redirect pointed outside the allowed wiki hosts, or was no URL, so it was not followed."""


class WikiSession(requests.Session):
    """A Session that sends only to allowed wiki hosts (redirects included), retries politely,
    and keeps to the per-host caps on concurrent requests.

    `allowed_hosts` and `allow_private_addresses` may be callables: they are then asked at every
    request, so a changed setting applies to sessions already built.
    """

    def __init__(
        self,
        *,
        user_agent: str,
        allowed_hosts: Sequence[str] | Callable[[], Sequence[str]],
        allow_private_addresses: bool | Callable[[], bool] = False,
        retries: int = 2,
        retry_after_max: int = 30,
        host_limits: Sequence[tuple[str, int]] = (),
        host_limiter_url: str = "",
        host_slot_seconds: float = 120,
    ) -> None:
        super().__init__()
        self.destinations = Destinations(
            allowed_hosts=_current(allowed_hosts),
            allow_private_addresses=_current(allow_private_addresses),
        )
        self.headers["User-Agent"] = user_agent
        self.max_redirects = 10
        retry = Retry(
            total=retries,
            connect=min(retries, 1),
            # A read timeout is re-raised at once: a slow server is not asked again.
            read=False,
            status=retries,
            status_forcelist=RETRY_STATUSES,
            allowed_methods={"HEAD", "GET"},
            backoff_factor=0.5,
            respect_retry_after_header=True,
            # A server asking for a longer pause than this gets its answer recorded instead.
            retry_after_max=retry_after_max,
            # After the last retry, hand back the final answer so its status code is recorded.
            raise_on_status=False,
        )
        adapter = PoliteAdapter(
            destinations=self.destinations,
            limits=host_limits,
            redis_url=host_limiter_url,
            lease_seconds=host_slot_seconds,
            max_retries=retry,
        )
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def get_redirect_target(self, resp: requests.Response) -> str | None:
        target = super().get_redirect_target(resp)
        if target is None:
            return None
        try:
            parts = urlsplit(urljoin(resp.url, target))
            allowed = host_allowed(
                scheme=parts.scheme,
                host=parts.hostname or "",
                port=parts.port,
                patterns=self.destinations.allowed_hosts(),
            )
        except ValueError:  # no URL at all, or a port that is no number from 0 to 65535
            shown = target[:MAX_TARGET_SHOWN]
            raise RedirectBlocked(
                f"the redirect target {shown!r} is not a valid URL", response=resp
            ) from None
        if not allowed:
            raise RedirectBlocked(
                f"redirect to {parts.hostname or target} is outside the allowed wiki hosts",
                response=resp,
            )
        return target


def _current(value):
    """A callable giving `value` as it is now: the callable itself, or a constant's."""
    return value if callable(value) else lambda: value


def user_agent(*, contact: str) -> str:
    """The descriptive User-Agent Wikimedia's policy asks for (default agents get blocked)."""
    contact = contact or "contact not configured; set WIKICHECK_CONTACT"
    return f"wikicheck/{checks.__version__} ({contact}) requests/{requests.__version__}"


def verdict_for(http_status: int) -> Verdict:
    if http_status == 200:
        return Verdict.EXISTS
    if http_status == 404:
        return Verdict.MISSING
    return Verdict.UNKNOWN


def page_check(url: str, *, session: requests.Session, timeout: tuple[float, float]) -> Outcome:
    """HEAD the page (following redirects); fall back to a GET whose body is never read."""
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
        )
    verdict = verdict_for(response.status_code)
    return Outcome(
        verdict=verdict,
        http_status=response.status_code,
        error=_status_reason(response) if verdict == Verdict.UNKNOWN else "",
        elapsed_ms=_elapsed_ms(started),
        checked_at=checked_at,
    )


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
