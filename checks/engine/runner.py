"""The module-level thread pool that checks pages, fed from the database by one thread.

Each process has WIKICHECK_MAX_WORKERS worker threads, long-lived loops on a lazily created
ThreadPoolExecutor, and one feeder thread (engine/feeder.py) that claims work for them from the
database queue and stores their outcomes. So the pool never holds more futures than it has
workers; rows of every batch share the workers (each unit to the owner with the fewest in
flight, then the lowest submission position, so neither a busy user nor a big batch starves
another); cancelling a batch takes its rows out of the queue; and any process can finish any
pending row, since each feeder sweeps for what others left.
"""

import os
import signal
import threading
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings

from checks.engine.feeder import Feeder
from checks.engine.units import unit_check

_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None
_feeder: Feeder | None = None
_executor_pid: int | None = None
_pool_size = 0
_in_flight = 0
# Set on shutdown: workers finish the check in hand and take no more.
_stopping = threading.Event()
_resumed_pid: int | None = None


# --- The pool ----------------------------------------------------------------------------------


def executor_get() -> ThreadPoolExecutor:
    """The process's pool and feeder, created on first use so a fork never inherits them."""
    global _executor, _feeder, _executor_pid, _pool_size
    with _lock:
        if _executor is None or _executor_pid != os.getpid():
            _pool_size = settings.WIKICHECK_MAX_WORKERS
            _executor = ThreadPoolExecutor(max_workers=_pool_size, thread_name_prefix="wikicheck")
            _executor_pid = os.getpid()
            _feeder = Feeder(workers=_pool_size, checks_in_flight=checks_in_flight)
            _feeder.start()
            for _ in range(_pool_size):
                _executor.submit(_worker_loop, _feeder)
            # Runs before the interpreter joins the pool's threads at exit (the hook
            # concurrent.futures itself uses), so the workers stop after the check in hand
            # and the feeder stores what they checked.
            threading._register_atexit(executor_shutdown, wait=True)
        return _executor


def executor_shutdown(*, wait: bool = False, final: bool = True) -> None:
    """Stop taking work; checks in flight finish and are stored, unstarted work goes back.

    After a final shutdown (a signal, the interpreter exiting) nothing starts again in this
    process; otherwise the next wake-up starts a fresh pool (e.g. with another size).
    """
    global _executor, _feeder
    _stopping.set()
    with _lock:
        executor, feeder = _executor, _feeder
        if not final:
            _executor = _feeder = None
    if feeder is not None:
        feeder.stop(timeout=None if wait else 0)
    if executor is not None:
        executor.shutdown(wait=wait, cancel_futures=True)
    if not final:
        _stopping.clear()


def workers_wake() -> None:
    """New pending rows exist: have the feeder look."""
    executor_get()
    if _feeder is not None and not _stopping.is_set():
        _feeder.wake()


def workers_resume() -> None:
    """Start this process's pool and feeder once, so the feeder's sweeps pick up left-over
    work: after a restart, rows whose worker died, batches submitted to another process."""
    global _resumed_pid
    with _lock:
        if _resumed_pid == os.getpid():
            return
        _resumed_pid = os.getpid()
    executor_get()


def batch_cancelled(batch_id) -> None:
    """Drop this batch's units already claimed by this process instead of checking them."""
    if _feeder is not None:
        _feeder.batch_cancelled(batch_id)


def futures_in_flight() -> int:
    """Futures submitted to the pool and not ended: one long-lived loop per worker."""
    with _lock:
        return _pool_size if _executor is not None else 0


def checks_in_flight() -> int:
    """Units of work a worker is checking right now."""
    with _lock:
        return _in_flight


# --- Workers -------------------------------------------------------------------------------------


def _worker_loop(feeder: Feeder) -> None:
    global _in_flight
    while True:
        unit = feeder.work.get()
        with _lock:
            _in_flight += 1
        try:
            if unit is None:
                return
            if _stopping.is_set():
                feeder.give_back(unit)
                return
            if feeder.is_cancelled(unit[0].batch_id):
                feeder.drop(unit)
                continue
            feeder.deliver(unit_check(unit))
        finally:
            with _lock:
                _in_flight -= 1


# --- Signals -------------------------------------------------------------------------------------


def signals_install() -> None:
    """Make SIGTERM and SIGINT stop the pool at once, then do what they did before.

    Only the main thread may set handlers; elsewhere (e.g. under the autoreloader) the exit
    hook registered by executor_get() does the stopping.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in (signal.SIGTERM, signal.SIGINT):
        previous = signal.getsignal(signum)
        signal.signal(signum, _stop_then(previous))


def _stop_then(previous):
    def handler(signum, frame):
        executor_shutdown(wait=False)
        if callable(previous):
            previous(signum, frame)
        elif previous == signal.SIG_DFL:
            # The default would end the process on the spot; exiting lets checks in flight
            # be stored first.
            raise SystemExit(128 + signum)

    return handler
