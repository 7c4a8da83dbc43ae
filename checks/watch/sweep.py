"""The lists' part of every sweep: fire due schedules, notice finished runs, send deliveries.
It runs on a thread of its own, so that a slow wiki or webhook receiver holds up no check."""

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait

from django.db import connection

from checks import conf
from checks.engine.heartbeat import process_kind
from checks.models import CheckProcess
from checks.watch.deliveries import deliveries_send
from checks.watch.notices import runs_notice
from checks.watch.schedules import schedules_fire

logger = logging.getLogger(__name__)

_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wikicheck-watch")
_lock = threading.Lock()
_round: Future | None = None


def watch_sweep() -> Future | None:
    """Start a round unless the last one is still going (or WIKICHECK_LISTS_IN_SWEEP is off);
    returns the round's future."""
    global _round
    # A one-off checkpages leaves schedules to the servers, the workers and runlists: it would
    # start other users' runs only to leave them when it exits.
    if not conf.current().lists_in_sweep or process_kind() == CheckProcess.Kind.CHECKPAGES:
        return None
    with _lock:
        if _round is None or _round.done():
            _round = _executor.submit(watch_round)
            _round.add_done_callback(_logged)
        return _round


def watch_idle(*, timeout: float | None = None) -> None:
    """Wait for the round under way, if any, to end."""
    with _lock:
        current = _round
    if current is not None:
        wait([current], timeout=timeout)


def watch_round() -> None:
    """One round, in the caller's thread: schedules first, so a run fired now is noticed in a
    later round once it has finished."""
    try:
        schedules_fire()
        runs_notice()
        deliveries_send()
    finally:
        connection.close()


def _logged(future: Future) -> None:
    error = future.exception()
    if error is not None:
        logger.error("the lists' sweep failed", exc_info=error)
