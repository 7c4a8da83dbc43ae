"""The one thread per process that stores what workers hand in, many to a transaction: outcomes,
and claimed rows given back unchecked. Both backends use it."""

# Every outcome stored bumps its batch's counters, so each transaction takes the batch row's lock
# until it commits. Sixteen threads storing one page each queued on that lock (and on a commit
# each); here one thread stores whatever was handed in meanwhile, in one transaction. A worker
# hands in outcomes and goes on checking; a Celery task waits for its tickets before it ends (and
# is acknowledged). Whatever was handed in is stored before the process exits.

import atexit
import logging
import os
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import connection

from checks.engine.claims import ClaimedRow
from checks.engine.outcomes import results_record
from checks.engine.workqueue import results_release
from checks.probe.outcome import Outcome

logger = logging.getLogger(__name__)

# How long the first of a round waits for others to share its transaction.
GATHER_SECONDS = 0.01
# Pauses before storing again what failed to store; then its rows are given back unchecked.
STORE_RETRY_SECONDS = (0.5, 2.0, 5.0)
# How long the writer keeps its connection with nothing to store: closing it whenever the queue
# was empty opened a new database session for most rounds.
IDLE_CLOSE_SECONDS = 1.0
# At exit, how long the writer may take to store what was handed in last.
EXIT_WAIT_SECONDS = 60


@dataclass
class Ticket:
    """What one hand-in asked to store, and whether it is stored."""

    outcomes: Sequence[tuple[ClaimedRow, Outcome]] = ()
    unchecked: Sequence[ClaimedRow] = ()  # claimed rows given back unchecked
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None

    def wait(self) -> None:
        """Return once stored; raise what storing raised."""
        self.done.wait()
        if self.error is not None:
            raise self.error


class _Writer:
    def __init__(self) -> None:
        self.pid = os.getpid()
        self._condition = threading.Condition()
        self._tickets: list[Ticket] = []
        self._busy = False  # tickets handed in and not yet stored
        self._thread = threading.Thread(target=self._run, name="wikicheck-writer", daemon=True)
        self._thread.start()

    def submit(self, ticket: Ticket) -> Ticket:
        with self._condition:
            self._tickets.append(ticket)
            self._busy = True
            self._condition.notify()
        return ticket

    def idle(self) -> bool:
        """Whether everything handed in is stored."""
        with self._condition:
            return not self._busy

    def _run(self) -> None:
        while True:
            with self._condition:
                if not self._condition.wait_for(lambda: self._tickets, IDLE_CLOSE_SECONDS):
                    # Nothing is held between bursts of work (a test database can be dropped).
                    connection.close()
                    self._condition.wait_for(lambda: self._tickets)
            time.sleep(GATHER_SECONDS)
            with self._condition:
                tickets, self._tickets = self._tickets, []
            self._store(tickets)
            with self._condition:
                self._busy = bool(self._tickets)

    def _store(self, tickets: list[Ticket]) -> None:
        outcomes = [pair for ticket in tickets for pair in ticket.outcomes]
        unchecked = [row for ticket in tickets for row in ticket.unchecked]
        error = None
        for pause in (*STORE_RETRY_SECONDS, None):
            try:
                results_record(outcomes=outcomes)
                if unchecked:
                    results_release(rows=unchecked)
                error = None
                break
            except Exception as exc:
                # A deadlock, a dropped connection: the transaction was rolled back whole, so
                # it is tried again, on a fresh connection.
                logger.warning("storing %d outcomes failed", len(outcomes), exc_info=True)
                error = exc
                connection.close()
                if pause is not None:
                    time.sleep(pause)
        if error is not None:
            _give_back(rows=[row for row, _ in outcomes] + unchecked)
        for ticket in tickets:
            ticket.error = error
            ticket.done.set()
        with _stored:
            global _stores
            _stores += 1
            _stored.notify_all()


def _give_back(*, rows: list[ClaimedRow]) -> None:
    """Put rows whose outcomes could not be stored back in the queue: a live process is never
    taken for dead, so nobody else would. If even that fails, they are given back when this
    process exits or dies."""
    try:
        results_release(rows=rows)
    except Exception:
        logger.exception(
            "could not give back %d rows; they wait for this process to end", len(rows)
        )
    finally:
        connection.close()


# How many rounds this process's writer has stored, for those waiting on its progress.
_stored = threading.Condition()
_stores = 0

# Reentrant: a signal handler may hand in rows while its thread is in here.
_lock = threading.RLock()
_writer: _Writer | None = None


def outcomes_submit(outcomes: Sequence[tuple[ClaimedRow, Outcome]]) -> Ticket:
    """Have outcomes stored with the next transaction; `ticket.wait()` waits for that."""
    return _writer_get().submit(Ticket(outcomes=outcomes))


def unchecked_submit(rows: Iterable[ClaimedRow]) -> Ticket:
    """Give claimed rows back unchecked with the next transaction (workqueue.results_release)."""
    return _writer_get().submit(Ticket(unchecked=list(rows)))


def writer_flush(*, timeout: float | None = None) -> None:
    """Wait until what this process handed in so far is stored (or `timeout` passes)."""
    with _lock:
        writer = _writer if _writer is not None and _writer.pid == os.getpid() else None
    # An idle writer has nothing to wait for: a round of its own would only cost its gathering.
    if writer is not None and not writer.idle():
        writer.submit(Ticket()).done.wait(timeout)


def stores_wait(*, after: int, timeout: float) -> int:
    """How many rounds the writer of this process has stored, once more than `after` or once
    `timeout` has passed: a process that checks its own batch (checkpages) learns at once that
    a round was stored, instead of polling the database at an interval."""
    with _stored:
        _stored.wait_for(lambda: _stores > after, timeout=timeout)
        return _stores


def _writer_get() -> _Writer:
    """This process's writer, started on first use so a fork never inherits it."""
    global _writer
    with _lock:
        if _writer is None or _writer.pid != os.getpid():
            _writer = _Writer()
            # Runs after the interpreter has joined the pools' threads, whose last outcomes
            # are then handed in.
            atexit.register(writer_flush, timeout=EXIT_WAIT_SECONDS)
        return _writer
