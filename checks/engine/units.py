"""Checking one claimed unit of work, whichever backend runs it: one page, or one API request's
titles; and the error outcome a check that raised is stored as."""

import logging
import threading

import requests
from django.utils import timezone

from checks import conf
from checks.engine.claims import Claim, ClaimedRow
from checks.probe.mediawiki import titles_check
from checks.probe.outcome import Outcome, Verdict
from checks.probe.page import page_check
from checks.probe.session import WikiSession, user_agent

logger = logging.getLogger(__name__)

# Long enough for any exception's message, short enough for the results table.
ERROR_LENGTH = 500

_thread_state = threading.local()


def unit_check(claim: Claim) -> list[tuple[ClaimedRow, Outcome]]:
    """Check one unit and pair each of its rows with its outcome.

    A remote fault is an outcome; an exception raised here is a bug, turned into outcomes by
    unit_failed() where the backend collects the result.
    """
    config = conf.current()
    timeout = (claim.timeout, claim.timeout) if claim.timeout else config.timeout
    if claim.api_url:
        outcomes = titles_check(
            api_url=claim.api_url,
            titles=[row.title for row in claim.rows],
            session=session_get(),
            timeout=timeout,
            maxlag=config.maxlag,
            maxlag_wait_max=config.retry_after_max,
        )
        return [(row, outcomes[row.title]) for row in claim.rows]
    (row,) = claim.rows
    return [(row, page_check(row.url, session=session_get(), timeout=timeout))]


def unit_failed(claim: Claim, *, error: BaseException) -> list[tuple[ClaimedRow, Outcome]]:
    """The outcomes of a unit whose check raised `error`: still outcomes, so the batch finishes
    and says why."""
    logger.error("checking %s failed unexpectedly", claim.rows[0].url, exc_info=error)
    outcome = Outcome(
        verdict=Verdict.ERROR,
        http_status=None,
        error=f"InternalError: {type(error).__name__}: {error}"[:ERROR_LENGTH],
        elapsed_ms=0,
        checked_at=timezone.now(),
    )
    return [(row, outcome) for row in claim.rows]


def session_get() -> requests.Session:
    """One Session per thread, so connections to a wiki are reused between checks.

    The allow-list and WIKICHECK_ALLOW_PRIVATE_ADDRESSES are read at every request instead, so a
    host removed from the setting is refused even by a session built before.
    """
    config = conf.current()
    if getattr(_thread_state, "config", None) is not config:
        _thread_state.session = WikiSession(
            user_agent=user_agent(contact=config.contact),
            retries=config.retries,
            retry_after_max=config.retry_after_max,
            host_limits=config.host_concurrency,
            host_limiter_url=config.host_limiter_url,
            host_slot_seconds=config.host_slot_seconds,
            allowed_hosts=lambda: conf.current().allowed_hosts,
            allow_private_addresses=lambda: conf.current().allow_private_addresses,
        )
        _thread_state.config = config
    return _thread_state.session
