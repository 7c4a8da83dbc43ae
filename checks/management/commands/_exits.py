"""How the commands that wait for checks end: the exit codes they share, and SIGTERM taken as
Ctrl-C, so that a batch stops with its checks stored instead of dying with them unstored."""

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_TERMINATED = 143  # 128 + SIGTERM


class Terminated(Exception):
    """SIGTERM arrived: stop as Ctrl-C stops."""


@contextmanager
def terminate_interrupts() -> Iterator[None]:
    """SIGTERM raises Terminated in the main thread for the duration (a signal is handled there
    only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum: int, frame) -> None:
        raise Terminated

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def interrupted_exit(exc: BaseException) -> int:
    """The exit code of a command stopped by `exc`: Ctrl-C's or SIGTERM's."""
    return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED
