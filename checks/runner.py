"""The module-level thread pool that checks pending results and writes their outcomes back.

Workers pull work from the database instead of being handed it: each pool task is a loop that
claims the next pending row, checks it, stores the outcome, and ends when the queue is empty.
So the pool never holds more than WIKICHECK_MAX_WORKERS futures, rows of every batch share the
workers (the lowest submission position goes first, so a small batch is not stuck behind a big
one), and whatever process sees a pending row can finish it.
"""

import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import requests
from django.conf import settings
from django.db import connection

from checks.checker import WikiSession, page_check, user_agent
from checks.models import result_claim_next, result_record

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None
_executor_pid: int | None = None
_pool_size = 0
_loops_running = 0
# Bumped on every wake-up, so a loop that found the queue empty can tell whether work arrived
# while it was looking, and keep going instead of leaving that work to nobody.
_wakeups = 0
_thread_state = threading.local()


def executor_get() -> ThreadPoolExecutor:
    """The process's pool, created on first use so it is never inherited across a fork."""
    global _executor, _executor_pid, _loops_running, _pool_size
    with _lock:
        if _executor is None or _executor_pid != os.getpid():
            _pool_size = settings.WIKICHECK_MAX_WORKERS
            _executor = ThreadPoolExecutor(max_workers=_pool_size, thread_name_prefix="wikicheck")
            _executor_pid = os.getpid()
            _loops_running = 0
        return _executor


def workers_wake(*, pending: int | None = None) -> None:
    """Start worker loops, up to the pool size (or the number of new pending rows if smaller)."""
    global _loops_running, _wakeups
    executor = executor_get()
    with _lock:
        _wakeups += 1
        wanted = _pool_size
        if pending is not None:
            wanted = min(wanted, _loops_running + pending)
        while _loops_running < wanted:
            executor.submit(_worker_loop)
            _loops_running += 1


def _worker_loop() -> None:
    global _loops_running
    try:
        while True:
            with _lock:
                wakeups_seen = _wakeups
            if _check_next():
                continue
            with _lock:
                if _wakeups == wakeups_seen:
                    _loops_running -= 1
                    return
    except Exception:
        # The row stays claimed; the other loops, and the next wake-up, carry on with the rest.
        with _lock:
            _loops_running -= 1
        logger.exception("a worker loop stopped on an unexpected error")
    finally:
        # Each worker thread has its own connection; leave none open for an idle thread.
        connection.close()


def _check_next() -> bool:
    """Claim, check and store one row; False when there was nothing to claim."""
    result = result_claim_next()
    if result is None:
        return False
    timeout = settings.WIKICHECK_TIMEOUT
    if result.batch.timeout:
        timeout = (result.batch.timeout, result.batch.timeout)
    outcome = page_check(result.url, session=_session(), timeout=timeout)
    result_record(result=result, outcome=outcome)
    return True


def _session() -> requests.Session:
    """One Session per worker thread, so connections to a wiki are reused between checks."""
    agent = user_agent(contact=settings.WIKICHECK_CONTACT)
    hosts = tuple(settings.WIKICHECK_ALLOWED_HOSTS)
    session = getattr(_thread_state, "session", None)
    if session is None or session.headers["User-Agent"] != agent or session.allowed_hosts != hosts:
        session = WikiSession(user_agent=agent, allowed_hosts=hosts)
        _thread_state.session = session
    return session
