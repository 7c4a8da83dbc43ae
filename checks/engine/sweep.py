"""The sweep both backends run every WIKICHECK_SWEEP_SECONDS: rows whose worker died go back to
the queue."""

import logging

from checks import conf
from checks.engine.workqueue import results_recover_stale

logger = logging.getLogger(__name__)


def work_sweep() -> int:
    """Requeue the rows whose worker stopped before storing them (their lease ran out); returns
    how many."""
    recovered = results_recover_stale(lease_seconds=conf.current().lease_seconds)
    if recovered:
        logger.warning("requeued %d rows whose worker stopped before storing them", recovered)
    return recovered
