"""The sweep both backends run every WIKICHECK_SWEEP_SECONDS: the rows of processes that died go
back to the queue, and what registered to be swept too (the lists' schedules) gets its turn."""

import logging
from collections.abc import Callable

from checks import conf
from checks.engine.registry import processes_reap

logger = logging.getLogger(__name__)

# Registered by the app when it is ready: the engine imports nothing above it.
_also_swept: list[Callable[[], object]] = []


def sweep_also(task: Callable[[], object]) -> None:
    """Call `task` at every sweep, after the rows are requeued; it must return quickly."""
    if task not in _also_swept:
        _also_swept.append(task)


def work_sweep() -> list[int]:
    """Requeue the rows whose process stopped before storing them (its PID is gone from this
    machine, or its heartbeat is older than WIKICHECK_HEARTBEAT_TIMEOUT); returns their ids."""
    recovered = processes_reap(timeout=conf.current().heartbeat_timeout)
    if recovered:
        logger.warning("requeued %d rows whose process stopped before storing them", len(recovered))
    for task in _also_swept:
        try:
            task()
        except Exception:
            logger.exception("%s failed in the sweep", getattr(task, "__name__", task))
    return recovered
