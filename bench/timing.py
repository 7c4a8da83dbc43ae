"""Measuring: wall time of plain threads, time spent inside chosen functions, memory in use."""

import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from types import ModuleType


def seconds_of(work: Callable[[], object]) -> float:
    """Wall time of one call of `work`."""
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def threaded(work: Callable[[int], object], count: int, *, workers: int | None) -> float:
    """Wall time of `work(n)` for every n on a plain ThreadPoolExecutor."""
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(work, range(count)))
    return time.perf_counter() - started


class Timed:
    """Adds up the time spent in some functions of `module`, by any thread, while the block
    runs; callers must look them up on the module (not hold their own reference) to be seen."""

    def __init__(self, module: ModuleType, *names: str) -> None:
        self.seconds = 0.0
        self._lock = threading.Lock()
        self._module = module
        self._originals = {name: getattr(module, name) for name in names}

    def __enter__(self) -> "Timed":
        for name, function in self._originals.items():
            setattr(self._module, name, self._timed(function))
        return self

    def __exit__(self, *exc_info: object) -> None:
        for name, function in self._originals.items():
            setattr(self._module, name, function)

    def _timed(self, function: Callable) -> Callable:
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                with self._lock:
                    self.seconds += time.perf_counter() - started

        return timed


def rss_mb() -> float:
    """This process's resident memory, in MiB."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
