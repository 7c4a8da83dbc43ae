"""Python's cyclic garbage collector held off while a batch's entries and rows are made by the
million, none of them in a cycle."""

# Each collection walks the objects made since the last one, and now and then all those kept:
# a third of the time it takes to parse a million lines, for nothing to collect. Other threads
# may allocate meanwhile; their garbage is collected once the last pause ends.

import contextlib
import gc
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_pauses = 0
_was_enabled = False


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The collector off while the block runs, and on again after the last such block ends if
    it was on when the first began."""
    global _pauses, _was_enabled
    with _lock:
        if not _pauses:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _lock:
            _pauses -= 1
            if not _pauses and _was_enabled:
                gc.enable()
