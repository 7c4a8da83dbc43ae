"""The wiki part of an entered URL: its scheme, host and port checked against the allow-list
and written the one canonical way, ``scheme://host[:port]``."""

import functools
from collections.abc import Sequence
from urllib.parse import SplitResult

from checks.intake.text import echo
from checks.probe.hosts import (
    DEFAULT_PORTS,
    BadHost,
    authority_split,
    host_allowed,
    host_clean,
    ip_or_none,
)


def origin_parse(parts: SplitResult, *, allowed_hosts: Sequence[str]) -> str:
    """Check a URL's scheme and authority and return its canonical ``scheme://host[:port]``."""
    return _origin_of(parts.scheme, parts.netloc, tuple(allowed_hosts))


# A batch names few hosts many times: each is checked once (refusals are not cached).
@functools.lru_cache(maxsize=1024)
def _origin_of(scheme: str, netloc: str, allowed_hosts: tuple[str, ...]) -> str:
    if scheme not in DEFAULT_PORTS:
        raise ValueError("only http and https URLs are accepted")
    if "@" in netloc:
        raise ValueError("user names or passwords in URLs are not accepted")
    if "\\" in netloc:
        # Browsers read "\" as "/", so "evil.example\.wikipedia.org" would go to evil.example.
        raise ValueError("backslashes are not accepted in the host part of a URL")
    try:
        host_text, port_text = authority_split(netloc)
        typed_host = host_clean(host_text)
    except BadHost as exc:
        raise ValueError(f"host {echo(exc.text)} is not a valid host name") from None
    host = _desktop_host(typed_host)
    port = _port_parse(port_text)
    if port == DEFAULT_PORTS[scheme]:
        port = None
    if not host_allowed(scheme=scheme, host=host, port=port, patterns=allowed_hosts):
        shown = _netloc_join(host=typed_host, port=port)
        raise ValueError(f"host {echo(shown)} is not an allowed wiki host")
    return f"{scheme}://{_netloc_join(host=host, port=port)}"


def _desktop_host(host: str) -> str:
    """Map a mobile host ``xx.m.rest`` to ``xx.rest``; the desktop host is canonical."""
    labels = host.split(".")
    if len(labels) >= 4 and labels[1] == "m" and ip_or_none(host) is None:
        del labels[1]
    return ".".join(labels)


def _port_parse(port_text: str | None) -> int | None:
    if not port_text:
        return None
    if not (port_text.isascii() and port_text.isdigit()) or not 0 < int(port_text) <= 65535:
        raise ValueError(f"port {echo(port_text)} is not a number from 1 to 65535")
    return int(port_text)


def _netloc_join(*, host: str, port: int | None) -> str:
    netloc = f"[{host}]" if ":" in host else host
    return netloc if port is None else f"{netloc}:{port}"
