"""Checking one unit of work, whichever backend runs it: one page, or one API request's titles.

The thread pool (checks/engine/runner.py) and the Celery tasks (checks/engine/tasks.py) both call
unit_check(); it never raises, so a bug becomes a recorded error instead of a lost row.
"""

import logging
import threading

import requests
from django.conf import settings
from django.utils import timezone

from checks.models import Result
from checks.probe.mediawiki import titles_check
from checks.probe.page import Outcome, Verdict, WikiSession, page_check, user_agent

logger = logging.getLogger(__name__)

_thread_state = threading.local()


def unit_check(unit: list[Result]) -> list[tuple[Result, Outcome]]:
    """Check one unit of claimed rows and pair each row with its outcome."""
    batch = unit[0].batch
    timeout = settings.WIKICHECK_TIMEOUT
    if batch.timeout:
        timeout = (batch.timeout, batch.timeout)
    try:
        if unit[0].api_url:
            outcomes = titles_check(
                api_url=unit[0].api_url,
                titles=[row.title for row in unit],
                session=session_get(),
                timeout=timeout,
                maxlag=settings.WIKICHECK_MAXLAG,
                maxlag_wait_max=settings.WIKICHECK_RETRY_AFTER_MAX,
            )
            return [(row, outcomes[row.title]) for row in unit]
        (row,) = unit
        return [(row, page_check(row.url, session=session_get(), timeout=timeout))]
    except Exception as exc:
        # A bug, not a remote fault: still an outcome, so the batch finishes and says why.
        logger.exception("checking %s failed unexpectedly", unit[0].url)
        outcome = Outcome(
            verdict=Verdict.ERROR,
            http_status=None,
            error=f"InternalError: {type(exc).__name__}: {exc}"[:500],
            elapsed_ms=0,
            checked_at=timezone.now(),
        )
        return [(row, outcome) for row in unit]


def session_get() -> requests.Session:
    """One Session per thread, so connections to a wiki are reused between checks.

    The allow-list and WIKICHECK_ALLOW_PRIVATE_ADDRESSES are read at every request instead, so a
    host removed from the setting is refused even by a session built before.
    """
    options = {
        "user_agent": user_agent(contact=settings.WIKICHECK_CONTACT),
        "retries": settings.WIKICHECK_RETRIES,
        "retry_after_max": settings.WIKICHECK_RETRY_AFTER_MAX,
        "host_limits": tuple(settings.WIKICHECK_HOST_CONCURRENCY),
        "host_limiter_url": settings.WIKICHECK_HOST_LIMITER_URL,
        "host_slot_seconds": settings.WIKICHECK_HOST_SLOT_SECONDS,
    }
    if getattr(_thread_state, "options", None) != options:
        _thread_state.session = WikiSession(
            **options,
            allowed_hosts=lambda: settings.WIKICHECK_ALLOWED_HOSTS,
            allow_private_addresses=lambda: settings.WIKICHECK_ALLOW_PRIVATE_ADDRESSES,
        )
        _thread_state.options = options
    return _thread_state.session
