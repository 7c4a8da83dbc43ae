"""The sweep both backends run every WIKICHECK_SWEEP_SECONDS: the rows of processes that died go
back to the queue."""

import logging

from checks import conf
from checks.engine.registry import processes_reap

logger = logging.getLogger(__name__)


def work_sweep() -> list[int]:
    """Requeue the rows whose process stopped before storing them (its PID is gone from this
    machine, or its heartbeat is older than WIKICHECK_HEARTBEAT_TIMEOUT); returns their ids."""
    recovered = processes_reap(timeout=conf.current().heartbeat_timeout)
    if recovered:
        logger.warning("requeued %d rows whose process stopped before storing them", len(recovered))
    return recovered
