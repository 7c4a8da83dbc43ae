"""Check whether one page exists over HTTP. Speaks `requests`; knows nothing of Django models."""

import enum
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import requests

import checks
from checks.parsing import host_allowed

# Some servers refuse HEAD; for these answers the page is fetched with GET instead.
HEAD_REFUSED = frozenset({405, 501})


class Verdict(enum.StrEnum):
    EXISTS = "exists"
    MISSING = "missing"
    UNKNOWN = "unknown"
    ERROR = "error"


@dataclass(frozen=True)
class Outcome:
    verdict: Verdict
    http_status: int | None
    error: str
    elapsed_ms: int
    checked_at: datetime


class RedirectBlocked(requests.RequestException):
    """A redirect pointed outside the allowed wiki hosts, so it was not followed."""


class WikiSession(requests.Session):
    """A Session that follows redirects only to allowed wiki hosts."""

    def __init__(self, *, user_agent: str, allowed_hosts: Sequence[str]) -> None:
        super().__init__()
        self.allowed_hosts = tuple(allowed_hosts)
        self.headers["User-Agent"] = user_agent
        self.max_redirects = 10

    def get_redirect_target(self, resp: requests.Response) -> str | None:
        target = super().get_redirect_target(resp)
        if target is None:
            return None
        parts = urlsplit(urljoin(resp.url, target))
        if not host_allowed(
            scheme=parts.scheme,
            host=parts.hostname or "",
            port=parts.port,
            patterns=self.allowed_hosts,
        ):
            raise RedirectBlocked(
                f"redirect to {parts.hostname or target} is outside the allowed wiki hosts",
                response=resp,
            )
        return target


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
            error=f"{type(exc).__name__}: {exc}"[:2000],
            elapsed_ms=_elapsed_ms(started),
            checked_at=checked_at,
        )
    return Outcome(
        verdict=verdict_for(response.status_code),
        http_status=response.status_code,
        error="",
        elapsed_ms=_elapsed_ms(started),
        checked_at=checked_at,
    )


def _elapsed_ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
