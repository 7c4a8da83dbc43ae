"""A cap on concurrent requests per host that holds across processes and machines, in Redis."""

# Each host (and port) has a sorted set `wikicheck:slots:<host>:<port>` whose members are the
# holders of its slots (random ids), scored by when their lease ends in milliseconds of Redis's
# own clock, so the machines' clocks need not agree. Taking a slot is one Lua script: drop the
# lapsed leases, then join if fewer than `limit` holders remain. Giving it back leaves the set and
# pushes a token onto the list `wikicheck:slots:<host>:<port>:wake`, on which waiters block (BLPOP)
# between attempts. A waiter also tries again whenever its short wait ends, so a lost token costs
# one poll, never a hang.
#
# The lease bounds how long the slot of a process killed while holding it stays taken.

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

from checks.probe.hosts import host_port

logger = logging.getLogger(__name__)

KEY_PREFIX = "wikicheck:slots:"
# Releases wake a waiter at once; this only bounds the wait for a slot freed without a token (a
# lapsed lease, a token taken by a waiter that then lost the race).
WAKE_POLL_SECONDS = 0.25
# A token nobody waits for only costs its finder one needless attempt; it need not live long.
WAKE_TOKEN_MS = 10_000

# KEYS[1]: the holders; ARGV: holder id, limit, lease (ms). Returns 1 if the slot was taken.
# Running it twice for one holder (a retried command) takes one slot, not two.
ACQUIRE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
    return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
-- The set lives as long as its longest lease, whatever lease each process uses.
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIRE', KEYS[1], tonumber(last[2]) - now + 1)
return 1
"""

# KEYS[1]: the holders, KEYS[2]: the wake-up list; ARGV: holder id, limit, token lifetime (ms).
# A holder whose lease lapsed frees nothing, so it wakes nobody.
RELEASE = """
if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
    redis.call('LPUSH', KEYS[2], '1')
    redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[2]) - 1)
    redis.call('PEXPIRE', KEYS[2], ARGV[3])
end
return 0
"""


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
    holder = uuid.uuid4().hex
    lease_ms = max(1, round(lease_seconds * 1000))
    while not _ask(redis_url, limiter.acquire, keys=[key], args=[holder, limit, lease_ms]):
        _ask(redis_url, limiter.client.blpop, keys=[key + ":wake"], timeout=WAKE_POLL_SECONDS)
    try:
        yield
    finally:
        _release(limiter=limiter, key=key, holder=holder, limit=limit)


def _release(*, limiter: "_Limiter", key: str, holder: str, limit: int) -> None:
    try:
        limiter.release(keys=[key, key + ":wake"], args=[holder, limit, WAKE_TOKEN_MS])
    except redis.RedisError:
        # The request has been answered and its outcome stands; the lease frees the slot.
        logger.warning(
            "could not release a slot of %s at %s", key, _shown(limiter.url), exc_info=True
        )


# --- One client per Redis URL and process ------------------------------------------------------


@dataclass(frozen=True)
class _Limiter:
    url: str
    pid: int
    client: redis.Redis
    acquire: Script
    release: Script


_lock = threading.Lock()
_limiters: dict[str, _Limiter] = {}


def _limiter(*, redis_url: str) -> _Limiter:
    """This process's client for `redis_url`, made on first use and again in a forked child
    (whose inherited connections belong to its parent)."""
    with _lock:
        limiter = _limiters.get(redis_url)
        if limiter is None or limiter.pid != os.getpid():
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
            limiter = _Limiter(
                url=redis_url,
                pid=os.getpid(),
                client=client,
                acquire=client.register_script(ACQUIRE),
                release=client.register_script(RELEASE),
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
