"""Host patterns: whether a scheme, host and port match the allow-list's patterns, and which
`(pattern, value)` pair a URL's host picks (API paths, per-host caps)."""

import ipaddress
import string
from collections.abc import Sequence
from typing import TypeVar
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
HOST_LABEL_CHARACTERS = frozenset(string.ascii_lowercase + string.digits + "-")

Value = TypeVar("Value")


class BadHost(ValueError):
    """A host (or `host:port`) that is no host name or IP literal; `text` is what was given."""

    def __init__(self, text: str) -> None:
        super().__init__(f"not a valid host name: {text!r}")
        self.text = text


def host_allowed(*, scheme: str, host: str, port: int | None, patterns: Sequence[str]) -> bool:
    """Whether ``scheme://host:port`` matches one of the allowed-host patterns."""
    if scheme not in DEFAULT_PORTS:
        return False
    try:
        host = host_clean(host)
    except ValueError:
        return False
    default_port = DEFAULT_PORTS[scheme]
    port = default_port if port is None else port
    return any(
        _pattern_matches(pattern, host=host, port=port, default_port=default_port)
        for pattern in patterns
    )


def url_allowed(url: str, *, patterns: Sequence[str]) -> bool:
    """Whether `url`'s scheme, host and port match one of the patterns; False for no URL."""
    try:
        parts = urlsplit(url)
        return host_allowed(
            scheme=parts.scheme, host=parts.hostname or "", port=parts.port, patterns=patterns
        )
    except ValueError:
        return False


def host_value(*, url: str, pairs: Sequence[tuple[str, Value]], default: Value) -> Value:
    """The value of the first `(pattern, value)` pair whose pattern `url`'s host matches."""
    for pattern, value in pairs:
        if url_allowed(url, patterns=[pattern]):
            return value
    return default


def host_port(url: str) -> str:
    """`host:port` of `url`, the default port filled in, so both spellings name one host."""
    parts = urlsplit(url)
    port = parts.port or DEFAULT_PORTS.get(parts.scheme, "")
    return f"{parts.hostname or ''}:{port}"


def authority_split(authority: str) -> tuple[str, str | None]:
    """Split ``host``, ``host:port``, ``[ipv6]`` or ``[ipv6]:port``; the port stays text."""
    if authority.startswith("["):
        host, bracket, rest = authority[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")) or ip_or_none(host) is None:
            raise BadHost(authority)
        return host, rest[1:] if rest else None
    host, colon, port_text = authority.partition(":")
    return host, port_text if colon else None


def host_clean(host: str) -> str:
    """Lower-case a host name or IP literal, dropping a trailing dot; reject malformed ones."""
    cleaned = host.lower().removesuffix(".")
    if not cleaned:
        raise ValueError("the URL has no host")
    is_name = host.isascii() and all(
        0 < len(label) <= 63 and set(label) <= HOST_LABEL_CHARACTERS for label in cleaned.split(".")
    )
    if not is_name and ip_or_none(cleaned) is None:
        raise BadHost(host)
    return cleaned


def ip_or_none(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _pattern_matches(pattern: str, *, host: str, port: int, default_port: int) -> bool:
    try:
        pattern_host, pattern_port = authority_split(pattern.strip())
    except ValueError:
        return False
    pattern_host = pattern_host.lower().removesuffix(".")
    if pattern_port is None:
        port_matches = port == default_port
    else:
        port_matches = pattern_port == "*" or (pattern_port.isdigit() and int(pattern_port) == port)
    if not port_matches:
        return False
    host_ip = ip_or_none(host)
    if host_ip is not None:
        # Wildcards never reach IPs: a loopback or metadata address must be named exactly.
        return host_ip == ip_or_none(pattern_host)
    if pattern_host.startswith("*."):
        suffix = pattern_host[1:]
        return host.endswith(suffix) and len(host) > len(suffix)
    return host == pattern_host
