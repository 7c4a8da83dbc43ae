"""The module-level thread pool that checks pending results and writes their outcomes back.

Workers pull work from the database instead of being handed it: each pool task is a loop that
claims the next pending row (or up to 50 titles bound for one wiki's API), checks it, stores
the outcome, and ends when the queue is empty.
So the pool never holds more than WIKICHECK_MAX_WORKERS futures, rows of every batch share the
workers (the lowest submission position goes first, so a small batch is not stuck behind a big
one), cancelling a batch only has to take its rows out of the queue, and any process can finish
any pending row: each one's sweeper (`workers_resume()`) picks up what others left.
"""

import logging
import os
import signal
import threading
from concurrent.futures import ThreadPoolExecutor

import requests
from django.conf import settings
from django.db import connection

from checks.api import TITLES_PER_REQUEST, titles_check
from checks.checker import WikiSession, page_check, user_agent
from checks.models import Result
from checks.queue import results_claim, results_record, results_recover_stale, results_release

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None
_executor_pid: int | None = None
_pool_size = 0
_loops_running = 0
# Bumped on every wake-up, so a loop that found the queue empty can tell whether work arrived
# while it was looking, and keep going instead of leaving that work to nobody.
_wakeups = 0
# Set on shutdown: loops finish the check in hand, store it, and take no more.
_stopping = threading.Event()
_resumed_pid: int | None = None
_thread_state = threading.local()


# --- The pool ----------------------------------------------------------------------------------


def executor_get() -> ThreadPoolExecutor:
    """The process's pool, created on first use so it is never inherited across a fork."""
    global _executor, _executor_pid, _loops_running, _pool_size
    with _lock:
        if _executor is None or _executor_pid != os.getpid():
            _pool_size = settings.WIKICHECK_MAX_WORKERS
            _executor = ThreadPoolExecutor(max_workers=_pool_size, thread_name_prefix="wikicheck")
            _executor_pid = os.getpid()
            _loops_running = 0
            # Runs before the interpreter joins the pool's threads at exit (the hook
            # concurrent.futures itself uses); without it, exiting would wait for the loops to
            # empty the whole queue.
            threading._register_atexit(executor_shutdown)
        return _executor


def executor_shutdown(*, wait: bool = False, final: bool = True) -> None:
    """Stop taking rows and cancel queued loops; checks in flight finish and are stored.

    After a final shutdown (a signal, the interpreter exiting) no loop starts again in this
    process; otherwise the next wake-up starts a fresh pool (e.g. with another size).
    """
    global _executor
    _stopping.set()
    with _lock:
        executor, _executor = _executor, None
    if executor is not None:
        executor.shutdown(wait=wait, cancel_futures=True)
    if not final:
        _stopping.clear()


def workers_wake(*, pending: int | None = None) -> None:
    """Start worker loops, up to the pool size (or the number of new pending rows if smaller)."""
    global _loops_running, _wakeups
    executor = executor_get()
    with _lock:
        if _stopping.is_set():
            return
        _wakeups += 1
        wanted = _pool_size
        if pending is not None:
            wanted = min(wanted, _loops_running + pending)
        while _loops_running < wanted:
            executor.submit(_worker_loop)
            _loops_running += 1


def futures_in_flight() -> int:
    """Worker loops submitted to the pool and not yet ended (queued or running)."""
    with _lock:
        return _loops_running


def workers_resume() -> None:
    """Start this process's sweeper, once: it requeues rows whose worker died and checks
    whatever is pending, now and every WIKICHECK_SWEEP_SECONDS.

    So after a restart the left-over work is picked up, a row held by a process that died is
    checked by one still alive once its lease runs out, and every server process helps with
    every batch, not only the one that received it.
    """
    global _resumed_pid
    with _lock:
        if _resumed_pid == os.getpid():
            return
        _resumed_pid = os.getpid()
    threading.Thread(target=_sweep_forever, name="wikicheck-sweeper", daemon=True).start()


def _sweep_forever() -> None:
    while not _stopping.is_set():
        try:
            recovered = results_recover_stale(lease_seconds=settings.WIKICHECK_LEASE_SECONDS)
            if recovered:
                logger.warning(
                    "requeued %d rows whose worker stopped before storing them", recovered
                )
            if Result.objects.filter(status=Result.Status.PENDING).exists():
                workers_wake()
        except Exception:
            logger.exception("sweeping for left-over work failed; trying again later")
        finally:
            connection.close()
        _stopping.wait(settings.WIKICHECK_SWEEP_SECONDS)


def _worker_loop() -> None:
    global _loops_running
    counted = True
    try:
        while not _stopping.is_set():
            with _lock:
                wakeups_seen = _wakeups
            if _check_next():
                continue
            with _lock:
                # Leaving and uncounting happen under one lock, so a wake-up either sees this
                # loop gone (and starts another) or is seen by it (and it goes on).
                if _wakeups == wakeups_seen:
                    _loops_running -= 1
                    counted = False
                    return
    except Exception:
        # The row stays claimed until its lease runs out; the other loops carry on.
        logger.exception("a worker loop stopped on an unexpected error")
    finally:
        if counted:
            with _lock:
                _loops_running -= 1
        # Each worker thread has its own connection; leave none open for an idle thread.
        connection.close()


def _check_next() -> bool:
    """Claim, check and store a few rows (or one API request's worth); False when idle."""
    rows = results_claim(api_limit=TITLES_PER_REQUEST, workers=_pool_size)
    if not rows:
        return False
    batch = rows[0].batch
    timeout = settings.WIKICHECK_TIMEOUT
    if batch.timeout:
        timeout = (batch.timeout, batch.timeout)
    if rows[0].api_url:
        outcomes = titles_check(
            api_url=rows[0].api_url,
            titles=[row.title for row in rows],
            session=_session(),
            timeout=timeout,
            maxlag=settings.WIKICHECK_MAXLAG,
            maxlag_wait_max=settings.WIKICHECK_RETRY_AFTER_MAX,
        )
        results_record(outcomes=[(row, outcomes[row.title]) for row in rows])
    else:
        checked = []
        for row in rows:
            if _stopping.is_set():
                break
            checked.append((row, page_check(row.url, session=_session(), timeout=timeout)))
        results_record(outcomes=checked)
        # Stopping: what was claimed but not checked goes back to the queue for the next start.
        results_release(results=rows[len(checked) :])
    return True


def _session() -> requests.Session:
    """One Session per worker thread, so connections to a wiki are reused between checks."""
    options = {
        "user_agent": user_agent(contact=settings.WIKICHECK_CONTACT),
        "allowed_hosts": tuple(settings.WIKICHECK_ALLOWED_HOSTS),
        "retries": settings.WIKICHECK_RETRIES,
        "retry_after_max": settings.WIKICHECK_RETRY_AFTER_MAX,
        "host_limits": tuple(settings.WIKICHECK_HOST_CONCURRENCY),
    }
    if getattr(_thread_state, "options", None) != options:
        _thread_state.session = WikiSession(**options)
        _thread_state.options = options
    return _thread_state.session


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
