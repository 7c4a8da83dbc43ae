"""Calling one function from several threads at the same moment, as concurrent requests or
processes would, each thread with its own database connection."""

import threading
from collections.abc import Callable
from typing import TypeVar

from django.db import connection

T = TypeVar("T")


def at_once(call: Callable[[], T], *, threads: int, timeout: float = 60) -> list[T | Exception]:
    """What `call` returned or raised in each of `threads` threads released together."""
    barrier = threading.Barrier(threads)
    outcomes: list[T | Exception] = []
    lock = threading.Lock()

    def run() -> None:
        try:
            barrier.wait(timeout=timeout)
            outcome = call()
        except Exception as exc:
            outcome = exc
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    started = [threading.Thread(target=run) for _ in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join(timeout=timeout)
    assert len(outcomes) == threads, "a thread did not finish in time"
    return outcomes
