"""One place that keeps every request polite and on the allow-list: a cap on concurrent
requests per host, and the checks of probe/destinations.py on each request's host and address."""

# Every request a WikiSession sends passes through PoliteAdapter.send(), retries and redirect hops
# included. Without a Redis URL the cap is a semaphore shared by the threads of one process; with
# one, the cap is kept in that Redis server (probe/host_slots.py) and shared by every process on
# every machine that uses it.

import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager

from requests.adapters import DEFAULT_POOLBLOCK, HTTPAdapter

from checks.probe.destinations import (
    AddressRefused,
    Destinations,
    GuardedPoolManager,
    InternalAddresses,
)
from checks.probe.hosts import host_port, host_value

# How long a Redis-kept slot stays taken after a process is killed holding it: the heartbeat
# timeout, so its slots come back when its claims do. A live process's heartbeat renews the leases
# of the slots it holds every few seconds (host_slots.held_slots_renew), so a request keeps its
# slot however long it runs; the lease need only outlast a few missed beats.
DEFAULT_LEASE_SECONDS = 20.0

_lock = threading.Lock()
_slots: dict[tuple[str, int], threading.BoundedSemaphore] = {}


def host_limit(*, url: str, limits: Sequence[tuple[str, int]]) -> int:
    """The cap for `url`'s host from `(pattern, limit)` pairs; 0 means no cap."""
    return host_value(url=url, pairs=limits, default=0)


def host_slot(
    *,
    url: str,
    limit: int,
    redis_url: str = "",
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
) -> AbstractContextManager[None]:
    """Hold one of the `limit` request slots of `url`'s host (and port) for the duration: in the
    Redis server at `redis_url` when given, else in this process."""
    if redis_url:
        # Imported here so that a process without a Redis limiter never loads redis.
        from checks.probe.host_slots import redis_host_slot

        return redis_host_slot(
            url=url, limit=limit, redis_url=redis_url, lease_seconds=lease_seconds
        )
    return _local_host_slot(url=url, limit=limit)


@contextmanager
def _local_host_slot(*, url: str, limit: int) -> Iterator[None]:
    if limit <= 0:
        yield
        return
    key = (host_port(url), limit)
    with _lock:
        slots = _slots.setdefault(key, threading.BoundedSemaphore(limit))
    with slots:
        yield


class PoliteAdapter(HTTPAdapter):
    """An adapter that sends only to the hosts and addresses `destinations` allows, once a slot
    of the request's host is free."""

    def __init__(
        self,
        *,
        destinations: Destinations,
        limits: Sequence[tuple[str, int]],
        redis_url: str = "",
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        **kwargs,
    ) -> None:
        self.destinations = destinations
        self.limits = tuple(limits)
        self.redis_url = redis_url
        self.lease_seconds = lease_seconds
        super().__init__(**kwargs)

    def init_poolmanager(self, connections, maxsize, block=DEFAULT_POOLBLOCK, **pool_kwargs):
        # HTTPAdapter's own (it keeps these arguments), with connections that check addresses.
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        self.poolmanager = GuardedPoolManager(
            num_pools=connections,
            maxsize=maxsize,
            block=block,
            destinations=self.destinations,
            **pool_kwargs,
        )

    def send(self, request, *args, **kwargs):
        self.destinations.url_check(request.url)
        slot = host_slot(
            url=request.url,
            limit=host_limit(url=request.url, limits=self.limits),
            redis_url=self.redis_url,
            lease_seconds=self.lease_seconds,
        )
        with slot:
            try:
                return super().send(request, *args, **kwargs)
            except InternalAddresses as exc:
                raise AddressRefused(str(exc), request=request) from exc
