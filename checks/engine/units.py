"""Checking one claimed unit of work, whichever backend runs it: one page, or one API request's
titles, within its deadline; and the error outcome a check that raised is stored as."""

import logging
import threading
import time

import requests
from django.utils import timezone

from checks import conf
from checks.engine.claims import Claim, ClaimedRow
from checks.probe.deadline import check_deadline
from checks.probe.mediawiki import titles_check
from checks.probe.outcome import Outcome, Verdict
from checks.probe.page import page_check
from checks.probe.session import WikiSession, user_agent

logger = logging.getLogger(__name__)

# Long enough for any exception's message, short enough for the results table.
ERROR_LENGTH = 500

_thread_state = threading.local()


def unit_check(claim: Claim) -> list[tuple[ClaimedRow, Outcome]]:
    """Check one unit and pair each of its rows with its outcome; past its deadline, each row's
    outcome is an error saying so.

    A remote fault is an outcome; an exception raised here is a bug, turned into outcomes by
    unit_failed() where the backend collects the result.
    """
    config = conf.current()
    timeout = (claim.timeout, claim.timeout) if claim.timeout else config.timeout
    seconds = deadline_seconds(
        timeout=timeout, retries=config.retries, retry_after_max=config.retry_after_max
    )
    started = time.perf_counter()
    checked_at = timezone.now()
    try:
        with check_deadline(seconds=seconds) as deadline:
            pairs = _unit_outcomes(claim, timeout=timeout)
    except Exception:
        # A socket the deadline shut down may surface as any exception, from any layer.
        if not deadline.expired:
            raise
    if not deadline.expired:
        return pairs
    outcome = Outcome(
        verdict=Verdict.ERROR,
        http_status=None,
        error=f"Deadline: no complete answer within {seconds:g} s, the longest its timeouts,"
        " retries and Retry-After waits allow",
        elapsed_ms=round((time.perf_counter() - started) * 1000),
        checked_at=checked_at,
    )
    return [(row, outcome) for row in claim.rows]


def deadline_seconds(*, timeout: tuple[float, float], retries: int, retry_after_max: int) -> float:
    """The longest a check's requests may take while the host keeps to the rules: every attempt
    connecting and reading to its timeouts, and waiting the longest Retry-After before each retry.

    A read timeout bounds each read of the socket, not the answer: a host that sends a byte just
    within it would hold the check, and its worker, for as long as it likes.
    """
    connect, read = timeout
    return (connect + read) * (retries + 1) + retry_after_max * retries


def _unit_outcomes(
    claim: Claim, *, timeout: tuple[float, float]
) -> list[tuple[ClaimedRow, Outcome]]:
    config = conf.current()
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
