"""The one thread of a process that talks to the database on the workers' behalf.

It claims units of work into an in-memory queue, kept a little ahead of the workers so none
waits; stores the outcomes they hand back, many to a transaction; and sweeps for work nobody
told it about (rows whose worker died, batches submitted to another process). Workers never
touch the database, so they never queue for its write lock: with SQLite a writer waiting for
the lock, in a process full of busy threads, was what held checking back.
"""

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence

from django.conf import settings
from django.db import connection

from checks.engine.workqueue import (
    results_claim,
    results_drop,
    results_record,
    results_recover_stale,
    results_release,
)
from checks.models import Batch, Result
from checks.probe.page import Outcome

logger = logging.getLogger(__name__)

# Titles per MediaWiki API request.
API_UNIT = 50
# Most units claimed in one transaction.
CLAIM_SLICE = 8
# How long outcomes may wait to be stored together with the next ones.
GATHER_SECONDS = 0.01


class Feeder:
    def __init__(self, *, workers: int, checks_in_flight: Callable[[], int]) -> None:
        self.workers = workers
        self._checks_in_flight = checks_in_flight
        # Units of work claimed for this process's workers; None tells a worker to stop.
        self.work: queue.Queue[list[Result] | None] = queue.Queue()
        self._condition = threading.Condition()
        self._outcomes: list[tuple[Result, Outcome]] = []
        self._unchecked: list[Result] = []  # claimed, not checked: back to the queue
        self._dropped: list[Result] = []  # claimed, their batch cancelled: not checked
        self._queue_empty = False  # the last claim found nothing; a wake-up says look again
        self._cancelled: set = set()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="wikicheck-feeder", daemon=True)

    # --- Called by other threads -----------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        """New pending rows may exist."""
        with self._condition:
            self._queue_empty = False
            self._condition.notify()

    def deliver(self, outcomes: Sequence[tuple[Result, Outcome]]) -> None:
        with self._condition:
            self._outcomes += outcomes
            self._condition.notify()

    def give_back(self, rows: Sequence[Result]) -> None:
        """Rows a worker took but will not check (it is stopping)."""
        with self._condition:
            self._unchecked += rows
            self._condition.notify()

    def drop(self, rows: Sequence[Result]) -> None:
        with self._condition:
            self._dropped += rows
            self._condition.notify()

    def is_cancelled(self, batch_id) -> bool:
        return batch_id in self._cancelled

    def batch_cancelled(self, batch_id) -> None:
        """Units of this batch already in the queue are dropped instead of checked."""
        self._cancelled.add(batch_id)

    def stop(self, *, timeout: float | None = None) -> None:
        """Store what was checked, give back what was not, and end; waits up to `timeout`."""
        with self._condition:
            self._stopping = True
            self._condition.notify()
        if not self._thread.is_alive():
            self._release_workers()
        elif threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    # --- The feeder's own thread -----------------------------------------------------------------

    def _run(self) -> None:
        next_sweep = 0.0
        try:
            while True:
                with self._condition:
                    self._condition.wait_for(self._has_work, timeout=self._until(next_sweep))
                    stopping = self._stopping
                    if self._outcomes and not stopping:
                        # A moment more lets neighbouring outcomes share the transaction.
                        self._condition.wait(GATHER_SECONDS)
                    outcomes, self._outcomes = self._outcomes, []
                    unchecked, self._unchecked = self._unchecked, []
                    dropped, self._dropped = self._dropped, []
                if stopping:
                    self._finish(outcomes=outcomes, unchecked=unchecked, dropped=dropped)
                    return
                try:
                    self._store(outcomes=outcomes, unchecked=unchecked, dropped=dropped)
                    if time.monotonic() >= next_sweep:
                        self._sweep()
                        next_sweep = time.monotonic() + settings.WIKICHECK_SWEEP_SECONDS
                    if self._needs_work():
                        self._top_up()
                except Exception:
                    # The rows stay claimed until their lease runs out; the next sweep after
                    # that checks them again. Keep feeding the workers meanwhile.
                    logger.exception("the feeder failed a round; trying again")
                    connection.close()
                    time.sleep(1)
        finally:
            connection.close()

    def _has_work(self) -> bool:
        return bool(
            self._stopping
            or self._outcomes
            or self._unchecked
            or self._dropped
            or self._needs_work()
        )

    def _needs_work(self) -> bool:
        # Keep one unit waiting per worker, so a worker that finishes finds the next at once.
        return not self._queue_empty and self.work.qsize() < self.workers

    def _until(self, moment: float) -> float:
        return max(moment - time.monotonic(), 0.0)

    def _top_up(self) -> None:
        wanted = 2 * self.workers - self.work.qsize()
        while wanted > 0:
            # A few units per transaction, so the first workers start before the rest is claimed.
            units = results_claim(units=min(wanted, CLAIM_SLICE), api_limit=API_UNIT)
            if not units:
                with self._condition:
                    self._queue_empty = True
                return
            for unit in units:
                self.work.put(unit)
            wanted -= len(units)

    def _store(self, *, outcomes, unchecked, dropped) -> None:
        if outcomes:
            results_record(outcomes=outcomes)
        if unchecked:
            results_release(results=unchecked)
        if dropped:
            results_drop(results=dropped)

    def _sweep(self) -> None:
        """Requeue rows a dead worker held, look for work again, and learn of cancellations."""
        recovered = results_recover_stale(lease_seconds=settings.WIKICHECK_LEASE_SECONDS)
        if recovered:
            logger.warning("requeued %d rows whose worker stopped before storing them", recovered)
        with self._condition:
            self._queue_empty = False
        queued = {unit[0].batch_id for unit in list(self.work.queue) if unit}
        if queued:
            cancelled = Batch.objects.filter(pk__in=queued, status=Batch.Status.CANCELLED)
            self._cancelled.update(cancelled.values_list("pk", flat=True))

    def _finish(self, *, outcomes, unchecked, dropped) -> None:
        """Workers are stopping: store their last outcomes, give back the units never started."""
        deadline = time.monotonic() + 60
        while self._checks_in_flight() and time.monotonic() < deadline:
            with self._condition:
                self._condition.wait(0.05)
        while True:
            try:
                unit = self.work.get_nowait()
            except queue.Empty:
                break
            if unit:
                unchecked += unit
        with self._condition:
            outcomes += self._outcomes
            unchecked += self._unchecked
            dropped += self._dropped
            self._outcomes, self._unchecked, self._dropped = [], [], []
        self._store(outcomes=outcomes, unchecked=unchecked, dropped=dropped)
        self._release_workers()

    def _release_workers(self) -> None:
        """Wake every worker still waiting for work, to stop."""
        for _ in range(self.workers):
            self.work.put(None)
