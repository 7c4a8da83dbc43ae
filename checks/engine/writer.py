"""Storing the outcomes of a Celery worker's task threads, many to a transaction.

Every outcome stored bumps its batch's counters, so each transaction takes the batch row's lock
until it commits. Sixteen threads storing one page each queued on that lock (and on a commit
each); here one thread per process stores whatever its task threads handed in meanwhile, in one
transaction. A task thread hands in each outcome as it comes and goes on checking; it waits for
them all to be committed before its task ends (and is acknowledged). Outcomes are committed
within milliseconds, so a worker killed at any moment loses little more than its checks in
flight, and a task run again after that checks only what was not stored.
"""

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import connection

from checks.engine.workqueue import results_record
from checks.models import Result
from checks.probe.page import Outcome

# How long the first outcome waits for others to share its transaction.
GATHER_SECONDS = 0.005


@dataclass
class _Ticket:
    outcomes: Sequence[tuple[Result, Outcome]]
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None

    def wait(self) -> None:
        """Return once the outcomes are committed; raise what storing them raised."""
        self.done.wait()
        if self.error is not None:
            raise self.error


class Recorder:
    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._tickets: list[_Ticket] = []
        self._thread = threading.Thread(target=self._run, name="wikicheck-recorder", daemon=True)
        self._thread.start()

    def submit(self, outcomes: Sequence[tuple[Result, Outcome]]) -> "_Ticket":
        """Have `outcomes` stored with the next transaction; `ticket.wait()` waits for that."""
        ticket = _Ticket(outcomes=outcomes)
        with self._condition:
            self._tickets.append(ticket)
            self._condition.notify()
        return ticket

    def _run(self) -> None:
        while True:
            with self._condition:
                idle = not self._tickets
            if idle:
                # Nothing is held between bursts of work (a test database can then be dropped).
                connection.close()
            with self._condition:
                self._condition.wait_for(lambda: self._tickets)
                self._condition.wait(GATHER_SECONDS)
                tickets, self._tickets = self._tickets, []
            try:
                results_record(outcomes=[pair for ticket in tickets for pair in ticket.outcomes])
            except Exception as exc:
                # Each task decides (it retries); the next round starts on a fresh connection.
                for ticket in tickets:
                    ticket.error = exc
                connection.close()
            for ticket in tickets:
                ticket.done.set()


_lock = threading.Lock()
_recorder: Recorder | None = None
_recorder_pid: int | None = None


def outcomes_submit(outcomes: Sequence[tuple[Result, Outcome]]) -> _Ticket:
    """Hand outcomes to this process's recorder, started on first use."""
    global _recorder, _recorder_pid
    with _lock:
        if _recorder is None or _recorder_pid != os.getpid():
            _recorder, _recorder_pid = Recorder(), os.getpid()
        recorder = _recorder
    return recorder.submit(outcomes)
