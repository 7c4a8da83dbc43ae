"""Where requests may go: every request's host against the allow-list as it is now, and every
connection's address against internal ranges (OWASP's SSRF advice). Knows nothing of Django."""

# PoliteAdapter (probe/politeness.py) checks the URL of each request it sends, redirect hops and
# retries included, and opens connections through GuardedPoolManager. Its connections resolve the
# host once, keep the addresses `Destinations` allows, and connect to one of those: the address
# checked is the address used, so a name re-pointed between the check and the connection (DNS
# rebinding) gains nothing. TLS still verifies the certificate against the host name. Each socket
# a request uses, new or kept alive, is also put under the running check's deadline
# (probe/deadline.py).

import ipaddress
import socket
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.poolmanager import PoolManager
from urllib3.util import connection

from checks.probe.deadline import deadline_start, socket_watch
from checks.probe.hosts import host_allowed, url_allowed

ALLOW_LIST = "WIKICHECK_ALLOWED_HOSTS"
ALLOW_PRIVATE = "WIKICHECK_ALLOW_PRIVATE_ADDRESSES"
# Keeps a reason readable however many addresses a name has.
ADDRESSES_SHOWN = 3


class HostRefused(requests.RequestException):
    """The request's host is not on the allow-list: nothing was sent."""


class AddressRefused(requests.RequestException):
    """The request's host resolves only to internal addresses: no connection was made."""


class InternalAddresses(Exception):
    """Raised inside urllib3 instead of AddressRefused: urllib3 takes every OSError, as requests'
    exceptions are, for a dropped connection and may retry it. The adapter translates it."""


@dataclass(frozen=True)
class Destinations:
    """Where requests may go, read afresh for every request and connection, so a changed
    setting applies at once: the allow-list's patterns, and whether internal addresses may be
    reached through any allowed name."""

    allowed_hosts: Callable[[], Sequence[str]]
    allow_private_addresses: Callable[[], bool]

    def url_check(self, url: str) -> None:
        """Raise HostRefused unless `url`'s scheme, host and port match the allow-list."""
        if not url_allowed(url, patterns=self.allowed_hosts()):
            raise HostRefused(f"{url_host(url)} is not in {ALLOW_LIST}")

    def addresses_resolve(self, *, scheme: str, host: str, port: int) -> list[str]:
        """The addresses of `host` a connection may use, resolved once (socket.gaierror when
        the name has none); InternalAddresses when every one of them is refused."""
        infos = socket.getaddrinfo(host, port, connection.allowed_gai_family(), socket.SOCK_STREAM)
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        patterns = self.allowed_hosts()
        # A host named exactly is the operator's choice; a wildcard vouches for no address.
        exact = [pattern for pattern in patterns if not pattern.strip().startswith("*")]
        if self.allow_private_addresses() or host_allowed(
            scheme=scheme, host=host, port=port, patterns=exact
        ):
            return addresses
        allowed = [
            address
            for address in addresses
            if not address_internal(address)
            or host_allowed(scheme=scheme, host=address, port=port, patterns=patterns)
        ]
        if not allowed:
            shown = ", ".join(addresses[:ADDRESSES_SHOWN])
            raise InternalAddresses(
                f"{host} resolves only to internal addresses ({shown}); allow them with "
                f"{ALLOW_PRIVATE} or by naming the host exactly in {ALLOW_LIST}"
            )
        return allowed


def url_host(url: str) -> str:
    """`host[:port]` of a URL, as the allow-list's patterns name it."""
    return urlsplit(url).netloc.rpartition("@")[2]


def address_internal(address: str) -> bool:
    """Whether `address` is loopback, private, link-local, reserved, multicast, unspecified or
    otherwise not public; an IPv4-mapped IPv6 address counts as the IPv4 address it maps."""
    ip = ipaddress.ip_address(address)
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
        or not ip.is_global
    )


# --- urllib3's side: connections that connect only to allowed addresses ------------------------


class _AddressChecked:
    """Mixed into urllib3's connections: `_new_conn` resolves the host once and connects to the
    first allowed address that answers, as urllib3's own does with every address."""

    scheme: str

    def __init__(self, *args, destinations: Destinations, **kwargs) -> None:
        self.destinations = destinations
        super().__init__(*args, **kwargs)

    def _new_conn(self) -> socket.socket:
        # Before resolving and connecting, so that both count against the deadline.
        deadline_start()
        name = self._dns_host.strip("[]")
        try:
            addresses = self.destinations.addresses_resolve(
                scheme=self.scheme, host=name, port=self.port
            )
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc
        error: OSError | None = None
        for address in addresses:
            try:
                # An IP literal: getaddrinfo() returns it as is, without asking DNS again.
                sock = connection.create_connection(
                    (address, self.port),
                    self.timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except OSError as exc:
                error = exc
                continue
            sys.audit("http.client.connect", self, self.host, self.port)
            socket_watch(sock)
            return sock
        if isinstance(error, TimeoutError):
            message = f"Connection to {self.host} timed out. (connect timeout={self.timeout})"
            raise ConnectTimeoutError(self, message) from error
        raise NewConnectionError(self, f"Failed to establish a new connection: {error}") from error

    def request(self, *args, **kwargs) -> None:
        # A connection kept alive since an earlier request: its socket serves this check now. (A
        # new one is watched as _new_conn opens it, here or in the pool's _validate_conn.)
        if self.sock is not None:
            socket_watch(self.sock)
        super().request(*args, **kwargs)


class _CheckedHTTPConnection(_AddressChecked, HTTPConnection):
    scheme = "http"


class _CheckedHTTPSConnection(_AddressChecked, HTTPSConnection):
    scheme = "https"


class _CheckedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _CheckedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


class GuardedPoolManager(PoolManager):
    """A PoolManager whose connections connect only to addresses `destinations` allows."""

    def __init__(self, *args, destinations: Destinations, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.destinations = destinations
        self.pool_classes_by_scheme = {
            "http": _CheckedHTTPConnectionPool,
            "https": _CheckedHTTPSConnectionPool,
        }

    def _new_pool(self, scheme, host, port, request_context=None):
        # Handed to each pool's connections, outside the pool key (which takes no new fields).
        context = self.connection_pool_kw if request_context is None else request_context
        return super()._new_pool(scheme, host, port, {**context, "destinations": self.destinations})
