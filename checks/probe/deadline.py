"""A wall-clock deadline for the requests one thread sends: once it passes, the sockets they use
are shut down, so no host can hold a check longer. Knows nothing of Django."""

# requests' read timeout bounds each recv(), not the answer: a host that sends one byte just
# within it never trips it. One watchdog thread per process sleeps until the earliest deadline
# and shuts down the sockets of every deadline that passed; a thread blocked reading one wakes
# with an error. probe/destinations.py hands the watchdog each socket a request uses.

import contextlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


class Deadline:
    """One check's deadline: `seconds` from its first request. `expired` says whether they
    passed before the check ended (final once the check_deadline() block is left)."""

    def __init__(self, *, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        # Monotonic; None until the first request, so waiting for a per-host slot before it
        # does not count.
        self.ends_at: float | None = None
        self.sockets: set[socket.socket] = set()


class _Watchdog:
    """The process's one thread that shuts down the sockets of the deadlines that passed."""

    def __init__(self) -> None:
        self.condition = threading.Condition()
        self.running: set[Deadline] = set()  # started, neither expired nor ended
        self.thread: threading.Thread | None = None

    def watch(self, deadline: Deadline, *, sock: socket.socket | None) -> None:
        with self.condition:
            now = time.monotonic()
            if deadline.ends_at is None:
                deadline.ends_at = now + deadline.seconds
                self.running.add(deadline)
                self._thread_start()
                self.condition.notify()
            if sock is not None:
                deadline.sockets.add(sock)
            if deadline.expired or now >= deadline.ends_at:
                # A retry's new connection after the deadline is shut before it is used.
                self._expire(deadline)

    def forget(self, deadline: Deadline) -> None:
        with self.condition:
            if deadline in self.running and time.monotonic() >= deadline.ends_at:
                deadline.expired = True
            self.running.discard(deadline)
            deadline.sockets.clear()

    def _thread_start(self) -> None:
        if self.thread is None:
            self.thread = threading.Thread(target=self._run, name="check-deadlines", daemon=True)
            self.thread.start()

    def _run(self) -> None:
        with self.condition:
            while True:
                now = time.monotonic()
                for deadline in [d for d in self.running if d.ends_at <= now]:
                    self._expire(deadline)
                next_end = min((deadline.ends_at for deadline in self.running), default=None)
                self.condition.wait(None if next_end is None else next_end - now)

    def _expire(self, deadline: Deadline) -> None:
        deadline.expired = True
        self.running.discard(deadline)
        for sock in deadline.sockets:
            # socket.socket's own shutdown, also for a TLS socket: SSLSocket's would drop its
            # TLS state under the thread still reading it. A socket already closed raises.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)


_watchdog = _Watchdog()
_current = threading.local()


def _watchdog_renew() -> None:
    # A forked child has no watchdog thread, and its lock may have been held mid-fork.
    global _watchdog
    _watchdog = _Watchdog()


os.register_at_fork(after_in_child=_watchdog_renew)


@contextmanager
def check_deadline(*, seconds: float) -> Iterator[Deadline]:
    """Bound the requests this thread sends within the block to `seconds` of wall-clock time
    from the first of them. Sockets are forgotten on leaving it: none is shut down afterwards."""
    deadline = Deadline(seconds=seconds)
    previous = getattr(_current, "deadline", None)
    _current.deadline = deadline
    try:
        yield deadline
    finally:
        _current.deadline = previous
        _watchdog.forget(deadline)


def deadline_start() -> None:
    """Start the clock of this thread's deadline, unless it runs already: a request begins.
    Nothing happens outside a check_deadline() block."""
    deadline = getattr(_current, "deadline", None)
    if deadline is not None:
        _watchdog.watch(deadline, sock=None)


def socket_watch(sock: socket.socket) -> None:
    """Shut `sock` down when this thread's deadline passes, at once if it has passed; the clock
    starts now if it had not. Nothing happens outside a check_deadline() block."""
    deadline = getattr(_current, "deadline", None)
    if deadline is not None:
        _watchdog.watch(deadline, sock=sock)
