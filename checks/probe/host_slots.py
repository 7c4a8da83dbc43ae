"""A cap on concurrent requests per host that holds across processes and machines, in Redis."""

# Each host (and port) has a sorted set `wikicheck:slots:<host>:<port>` whose members are the
# holders of its slots (random ids), scored by when their lease ends in milliseconds of Redis's
# own clock, so the machines' clocks need not agree. Taking a slot is one Lua script: drop the
# lapsed leases, then join if fewer than `limit` holders remain. Giving it back leaves the set and
# pushes a token onto the list `wikicheck:slots:<host>:<port>:wake`, on which waiters block (BLPOP)
# between attempts. A waiter also tries again whenever its short wait ends, so a lost token costs
# one poll, never a hang.
#
# The lease is short (about the heartbeat timeout): it bounds how long the slots of a process
# killed while holding them stay taken. A live process keeps its slots however long its requests
# run, because its heartbeat calls held_slots_renew(), which pushes their leases forward.

import logging
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

import redis
import requests
from redis.backoff import ExponentialBackoff
from redis.commands.core import Script
from redis.retry import Retry

from checks.probe.host_slot_scripts import ACQUIRE, RELEASE, RELEASE_OWNERS, RENEW
from checks.probe.hosts import host_port

logger = logging.getLogger(__name__)

KEY_PREFIX = "wikicheck:slots:"
# Releases wake a waiter at once; this only bounds the wait for a slot freed without a token (a
# lapsed lease, a token taken by a waiter that then lost the race).
WAKE_POLL_SECONDS = 0.25
# A token nobody waits for only costs its finder one needless attempt; it need not live long.
WAKE_TOKEN_MS = 10_000


class HostLimiterUnavailable(requests.ConnectionError):
    """The Redis server that keeps the per-host caps failed, so the request was not sent."""


@contextmanager
def redis_host_slot(
    *, url: str, limit: int, redis_url: str, lease_seconds: float
) -> Iterator[None]:
    """Hold one of the `limit` slots of `url`'s host (and port), shared by every process using
    `redis_url`, for the duration; a `limit` of 0 or less means no cap, and no Redis."""
    if limit <= 0:
        yield
        return
    limiter = _limiter(redis_url=redis_url)
    key = KEY_PREFIX + host_port(url)
    holder = f"{_owner}.{uuid.uuid4().hex}"
    lease_ms = max(1, round(lease_seconds * 1000))
    while not _ask(redis_url, limiter.acquire, keys=[key], args=[holder, limit, lease_ms]):
        _ask(redis_url, limiter.client.blpop, keys=[key + ":wake"], timeout=WAKE_POLL_SECONDS)
    with _lock:
        _held[holder] = _Held(limiter=limiter, key=key, holder=holder, lease_ms=lease_ms)
    try:
        yield
    finally:
        with _lock:
            # Absent in a child forked while this thread held the slot.
            _held.pop(holder, None)
        _release(limiter=limiter, key=key, holder=holder, limit=limit)


def held_slots_renew() -> int:
    """Push forward the lease of every slot this process holds, each by its own lease from now;
    the process's heartbeat calls it. Returns how many were renewed. A Redis that fails is
    logged, never raised, so that the heartbeat goes on."""
    with _lock:
        held = list(_held.values())
    by_url: dict[str, list[_Held]] = {}
    for slot in held:
        by_url.setdefault(slot.limiter.url, []).append(slot)
    return sum(_renew(slots=slots) for slots in by_url.values())


def slots_owner_set(owner: str) -> None:
    """Name the slots this process takes from now on after `owner` (its registry id), so that
    slots_release() can free them once it is gone."""
    global _owner
    _owner = owner


def slots_release(*, redis_url: str, owners: list[str]) -> int:
    """Free at once the slots held in `redis_url` by processes `owners`, which are gone (killed
    holding them), rather than when their leases end; returns how many were freed."""
    limiter = _limiter(redis_url=redis_url)
    freed = 0
    for key in limiter.client.scan_iter(match=KEY_PREFIX + "*", count=1000):
        name = key.decode()
        if not name.endswith(":wake"):
            freed += int(
                limiter.release_owners(
                    keys=[name, name + ":wake"],
                    args=[WAKE_TOKEN_MS, *(f"{owner}." for owner in owners)],
                )
            )
    return freed


def _renew(*, slots: list["_Held"]) -> int:
    """Renew `slots`, all kept in one Redis server, in one round trip."""
    limiter = slots[0].limiter
    args = [value for slot in slots for value in (slot.holder, slot.lease_ms)]
    try:
        return int(limiter.renew(keys=[slot.key for slot in slots], args=args))
    except redis.RedisError:
        # The requests go on; their slots stay taken until their leases end, and the next beat
        # tries again.
        logger.warning(
            "could not renew %d slots at %s", len(slots), _shown(limiter.url), exc_info=True
        )
        return 0


def _release(*, limiter: "_Limiter", key: str, holder: str, limit: int) -> None:
    try:
        limiter.release(keys=[key, key + ":wake"], args=[holder, limit, WAKE_TOKEN_MS])
    except redis.RedisError:
        # The request has been answered and its outcome stands; the lease frees the slot.
        logger.warning(
            "could not release a slot of %s at %s", key, _shown(limiter.url), exc_info=True
        )


# --- One client per Redis URL, and the slots held, in each process -----------------------------


@dataclass(frozen=True)
class _Limiter:
    url: str
    client: redis.Redis
    acquire: Script
    release: Script
    release_owners: Script
    # On a client of its own whose short timeout keeps a hung Redis from holding up the
    # heartbeat that renews, which must also beat in the database.
    renew: Script


@dataclass(frozen=True)
class _Held:
    limiter: _Limiter
    key: str
    holder: str
    lease_ms: int


_lock = threading.Lock()
_limiters: dict[str, _Limiter] = {}
_held: dict[str, _Held] = {}
# This process's registry id, which the ids of the slots it holds begin with.
_owner = ""


def _forget_in_child() -> None:
    """A forked child holds none of its parent's slots; the parent's connections are not its
    own, nor is the lock, which another of the parent's threads may have held at the fork."""
    global _lock, _owner
    _lock = threading.Lock()
    _owner = ""
    _limiters.clear()
    _held.clear()


os.register_at_fork(after_in_child=_forget_in_child)


def _limiter(*, redis_url: str) -> _Limiter:
    """This process's client for `redis_url`, made on first use."""
    with _lock:
        limiter = _limiters.get(redis_url)
        if limiter is None:
            try:
                client = redis.Redis.from_url(
                    redis_url,
                    socket_connect_timeout=2,
                    # Longer than a waiter's BLPOP, which would otherwise time out as a failure.
                    socket_timeout=WAKE_POLL_SECONDS + 10,
                    # One retry covers a pooled connection that Redis closed (a restart, an
                    # idle timeout); more would make every check wait on a Redis that is down.
                    retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), retries=1),
                )
            except ValueError as exc:
                raise HostLimiterUnavailable(
                    f"the host limiter URL {_shown(redis_url)} is not usable: {exc}"
                ) from None
            renewer = redis.Redis.from_url(
                redis_url,
                socket_connect_timeout=2,
                socket_timeout=2,
                retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), retries=1),
            )
            limiter = _Limiter(
                url=redis_url,
                client=client,
                acquire=client.register_script(ACQUIRE),
                release=client.register_script(RELEASE),
                release_owners=client.register_script(RELEASE_OWNERS),
                renew=renewer.register_script(RENEW),
            )
            _limiters[redis_url] = limiter
        return limiter


def _ask(redis_url: str, command: Callable[..., object], **kwargs: object) -> object:
    """Run one Redis command; any failure becomes HostLimiterUnavailable."""
    try:
        return command(**kwargs)
    except redis.RedisError as exc:
        failure = f"{type(exc).__name__}: {exc}"
    # Raised outside the `except` so that it carries no cause: checker.error_reason names a
    # failure by its innermost cause, and Redis refusing the connection would read as the
    # wiki refusing it.
    raise HostLimiterUnavailable(
        f"the host limiter at {_shown(redis_url)} failed ({failure}), so no request was sent"
    )


def _shown(redis_url: str) -> str:
    """`redis_url` without its password, fit for messages that users read."""
    parts = urlsplit(redis_url)
    if parts.password is None:
        return redis_url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()
