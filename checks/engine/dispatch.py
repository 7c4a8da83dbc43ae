"""Where new work goes, by WIKICHECK_BACKEND: this process's thread pool, or Celery's workers.

The only module that knows both backends. Whichever runs the checks, they read and write the
same rows, so views, models and templates never ask which one it is.
"""

import logging

from django.conf import settings
from kombu.exceptions import OperationalError

from checks.engine import runner
from checks.engine.tasks import batch_publish

logger = logging.getLogger(__name__)


def work_submitted(*, batch_id) -> None:
    """A batch's rows are committed: have them checked."""
    if settings.WIKICHECK_BACKEND == "threads":
        runner.workers_wake()
        return
    try:
        batch_publish(batch_id=batch_id)
    except OperationalError:
        # The rows are stored and stay pending; a worker's sweep publishes them once the
        # broker is back, so the batch is late, not lost.
        logger.exception("could not reach the Celery broker for batch %s", batch_id)


def batch_cancelled(*, batch_id) -> None:
    """A batch was cancelled: drop its work already claimed in this process.

    Celery workers need no word: its pending rows left the queue, and their tasks claim none.
    """
    if settings.WIKICHECK_BACKEND == "threads":
        runner.batch_cancelled(batch_id)


def work_resume() -> None:
    """This process serves requests: with the thread pool it also checks, and picks up work
    left over from before a restart. With Celery only workers check."""
    if settings.WIKICHECK_BACKEND == "threads":
        runner.workers_resume()
