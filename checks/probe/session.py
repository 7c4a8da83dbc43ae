"""The HTTP session every check uses: its User-Agent, retries, allowed hosts and per-host caps."""

from collections.abc import Callable, Sequence
from urllib.parse import urljoin, urlsplit

import requests
from urllib3.util import Retry

import checks
from checks.probe.destinations import Destinations
from checks.probe.hosts import host_allowed
from checks.probe.politeness import DEFAULT_LEASE_SECONDS, PoliteAdapter

# Answers worth asking again after a pause: overload and gateway hiccups, not server bugs (500).
RETRY_STATUSES = frozenset({429, 502, 503, 504})
# Keeps a quoted redirect target readable however long the remote server made it.
MAX_TARGET_SHOWN = 200


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
        host_slot_seconds: float = DEFAULT_LEASE_SECONDS,
    ) -> None:
        super().__init__()
        self._environment: dict[tuple, dict] = {}  # merge_environment_settings' answers
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

    def merge_environment_settings(self, url, proxies, stream, verify, cert) -> dict:
        # requests reads the proxies, no_proxy and CA bundle from the environment anew for
        # every request, which cost a check more CPU than the rest of it (at 0 ms latency, 0.8
        # of 1.8 ms a page); here once per scheme and host, the environment being the process's.
        if proxies or verify not in (True, None) or cert is not None:
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc, stream, verify)
        merged = self._environment.get(key)
        if merged is None:
            merged = super().merge_environment_settings(url, {}, stream, verify, cert)
            self._environment[key] = merged
        # A copy: requests may change the proxies it is given while following a redirect.
        return {**merged, "proxies": dict(merged["proxies"])}

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
