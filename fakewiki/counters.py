"""What clients did to the fake wiki: requests, titles, connections and peaks, counted under one
lock so that tests and benchmarks can read them."""

import contextlib
import socket
import threading
from collections import Counter
from collections.abc import Iterator


class Counters:
    """The counters a FakeWiki carries as plain attributes; reset() zeroes them."""

    def __init__(self) -> None:
        self.last_user_agent: str | None = None
        self.last_accept_encoding: str | None = None
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._in_progress_by_host: Counter[str] = Counter()
        self.reset()

    def reset(self) -> None:
        """Zero the counters (new Counter objects: re-read them); the knobs keep their values."""
        with self._lock:
            self.requests_total = 0
            self.requests_by_title: Counter[str] = Counter()
            self.requests_by_method: Counter[str] = Counter()
            self.connections_total = 0
            self.peak_concurrency = 0
            self.peak_concurrency_by_host: dict[str, int] = {}
            self.api_requests = 0
            self.api_titles_total = 0
            self.api_titles_by_title: Counter[str] = Counter()
            self.api_generator_requests: Counter[str] = Counter()

    def snapshot(self) -> dict[str, object]:
        with self._lock:
            return {
                "requests_total": self.requests_total,
                "requests_by_method": dict(self.requests_by_method),
                "requests_by_title": dict(self.requests_by_title),
                "connections_total": self.connections_total,
                "connections_open": len(self._connections),
                "peak_concurrency": self.peak_concurrency,
                "peak_concurrency_by_host": dict(self.peak_concurrency_by_host),
                "api_requests": self.api_requests,
                "api_titles_total": self.api_titles_total,
                "api_titles_by_title": dict(self.api_titles_by_title),
                "api_generator_requests": dict(self.api_generator_requests),
            }

    @contextlib.contextmanager
    def request_tracked(
        self,
        *,
        method: str,
        title: str | None,
        user_agent: str | None,
        accept_encoding: str | None,
        host: str,
    ) -> Iterator[int]:
        """Count a request while it is answered; yields its number among its title's requests."""
        with self._lock:
            self.requests_total += 1
            self.requests_by_method[method] += 1
            if title is not None:
                self.requests_by_title[title] += 1
            attempt = self.requests_by_title[title] if title is not None else 0
            self.last_user_agent = user_agent
            self.last_accept_encoding = accept_encoding
            self._in_progress_by_host[host] += 1
            self.peak_concurrency = max(self.peak_concurrency, self._in_progress_by_host.total())
            self.peak_concurrency_by_host[host] = max(
                self.peak_concurrency_by_host.get(host, 0), self._in_progress_by_host[host]
            )
        try:
            yield attempt
        finally:
            with self._lock:
                self._in_progress_by_host[host] -= 1

    def api_request_counted(self, *, titles: list[str], generator: str | None = None) -> int:
        """Count an api.php request and the titles it asks about, or the generator it runs (whose
        `titles` are its source, not pages asked about); returns its number."""
        with self._lock:
            self.api_requests += 1
            if generator is not None:
                self.api_generator_requests[generator] += 1
            else:
                self.api_titles_total += len(titles)
                self.api_titles_by_title.update(titles)
            return self.api_requests

    def api_title_requests(self, title: str) -> int:
        """How many api.php requests have asked about `title` (as sent) since the last reset()."""
        with self._lock:
            return self.api_titles_by_title[title]

    def connection_opened(self, connection: socket.socket) -> None:
        with self._lock:
            self.connections_total += 1
            self._connections.add(connection)

    def connection_closed(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.discard(connection)

    def connections_open(self) -> list[socket.socket]:
        with self._lock:
            return list(self._connections)
