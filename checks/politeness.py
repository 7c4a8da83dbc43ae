"""One place that keeps every request polite: a cap on concurrent requests per host.

All worker threads of a process share the cap, because every request a WikiSession sends
passes through PoliteAdapter.send(), retries and redirect hops included.
"""

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from urllib.parse import urlsplit

from requests.adapters import HTTPAdapter

from checks.parsing import host_allowed

_lock = threading.Lock()
_slots: dict[tuple[str, int], threading.BoundedSemaphore] = {}


def host_limit(*, url: str, limits: Sequence[tuple[str, int]]) -> int:
    """The cap for `url`'s host from `(pattern, limit)` pairs; 0 means no cap."""
    parts = urlsplit(url)
    for pattern, limit in limits:
        if host_allowed(
            scheme=parts.scheme, host=parts.hostname or "", port=parts.port, patterns=[pattern]
        ):
            return limit
    return 0


@contextmanager
def host_slot(*, url: str, limit: int) -> Iterator[None]:
    """Hold one of the `limit` request slots of `url`'s host (and port) for the duration."""
    if limit <= 0:
        yield
        return
    parts = urlsplit(url)
    key = (f"{parts.hostname}:{parts.port or ''}", limit)
    with _lock:
        slots = _slots.setdefault(key, threading.BoundedSemaphore(limit))
    with slots:
        yield


class PoliteAdapter(HTTPAdapter):
    """An adapter that waits for a free slot of the request's host before sending."""

    def __init__(self, *, limits: Sequence[tuple[str, int]], **kwargs) -> None:
        self.limits = tuple(limits)
        super().__init__(**kwargs)

    def send(self, request, *args, **kwargs):
        with host_slot(url=request.url, limit=host_limit(url=request.url, limits=self.limits)):
            return super().send(request, *args, **kwargs)
