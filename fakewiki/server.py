"""The fake wiki itself: a server on a local port, its knobs and page edits, and starting and
stopping it."""

import contextlib
import socket
import threading
from collections.abc import Iterable

from fakewiki.counters import Counters
from fakewiki.edits import NO_EDITS, Edits
from fakewiki.handler import WikiHTTPServer


class FakeWiki(Counters):
    """A fake wiki bound to `host:port` (0: a free port); knobs may be changed while it runs."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, latency_ms: int = 0) -> None:
        super().__init__()
        self.latency_ms = latency_ms
        self.head_status: int | None = None
        self.retry_after_seconds = 1
        self.flaky_failures = 1
        self.slow_seconds = 5.0
        self.maxlag_failures = 0
        self.maxlag_retry_after = 1
        self.prop_continue_after: int | None = None
        # Replaced whole under the lock, never changed in place: a request reads it once.
        self.edits = NO_EDITS
        self._edits_lock = threading.Lock()
        # Set once the server begins to stop, so that fault modes that wait stop waiting.
        self.stopping = threading.Event()
        self._thread: threading.Thread | None = None
        # Bound now, so `port` is known (port=0 picks a free one) before anything is served.
        self._server = WikiHTTPServer((host, port), wiki=self)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self._server.server_address[0]}:{self.port}"

    @property
    def wiki_url(self) -> str:
        return f"{self.url}/wiki/"

    def page_delete(self, title: str) -> None:
        """From now on `title` is missing, whatever the rule says; a redirect is missing too."""
        self.pages_edit(delete=[title])

    def page_create(self, title: str) -> None:
        """From now on `title` exists, whatever the rule says."""
        self.pages_edit(create=[title])

    def edits_clear(self) -> None:
        """Forget every page deleted or created: the rule decides again."""
        self.pages_edit(clear=True)

    def pages_edit(
        self, *, delete: Iterable[str] = (), create: Iterable[str] = (), clear: bool = False
    ) -> Edits:
        """Forget earlier edits if `clear`, then delete and create pages, all at once (nothing
        changes when a title is refused, see Edits.edited()); returns the edits now."""
        with self._edits_lock:
            self.edits = (NO_EDITS if clear else self.edits).edited(delete=delete, create=create)
            return self.edits

    def start(self) -> "FakeWiki":
        # A short poll interval keeps stop() quick: shutdown waits for the loop's next poll.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._close()

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (KeyboardInterrupt propagates)."""
        try:
            self._server.serve_forever()
        finally:
            self._close()

    def __enter__(self) -> "FakeWiki":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _close(self) -> None:
        # Wake handler threads waiting in a fault mode or parked on idle keep-alive connections,
        # so a stopped server answers nobody, then release the listening socket (which waits for
        # those threads).
        self.stopping.set()
        for connection in self.connections_open():
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self._server.server_close()
