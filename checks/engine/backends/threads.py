"""WIKICHECK_BACKEND=threads: each process checks pages on its own thread pool, one future per
unit of work, fed from the database queue by one feeder thread."""

# The feeder claims units (a few per transaction) and submits each to the executor, keeping at most
# FUTURES_PER_WORKER futures per worker submitted and not done; a done-callback hands each outcome
# to the writer. Any process can finish any pending row: every feeder sweeps for what others left.

import logging
import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

from django.db import connection

from checks import conf
from checks.engine.backends.base import Backend
from checks.engine.claims import Claim, results_claim
from checks.engine.sweep import work_sweep
from checks.engine.units import unit_check, unit_failed
from checks.engine.writer import outcomes_submit, unchecked_submit, writer_flush
from checks.models import Batch

logger = logging.getLogger(__name__)

# One future running per worker and one waiting, so a worker that finishes starts the next at
# once; more would only hold rows other processes could be checking.
FUTURES_PER_WORKER = 2
# Units claimed in one transaction: few, so the first workers start before the rest is claimed,
# but half the workers on a large pool, whose feeder would otherwise spend its time on the fixed
# cost of each claim (64 workers checked 10,000 pages in 23 s instead of 45 s).
CLAIM_SLICE = 8


class ThreadsBackend(Backend):
    def __init__(self) -> None:
        # Reentrant: a signal handler may stop the pool while its thread is in here.
        self._lock = threading.RLock()
        self._pool: _Pool | None = None
        self._resumed_pid: int | None = None

    def work_submitted(self, *, batch_id) -> None:
        self._pool_get().wake()

    def batch_cancelled(self, *, batch_id) -> None:
        pool = self._pool_running()
        if pool is not None:
            pool.batch_cancel(batch_id)

    def work_resume(self) -> None:
        """Start the pool once per process, so its sweeps pick up left-over work: rows whose
        worker died, batches submitted to a process that stopped."""
        with self._lock:
            if self._resumed_pid == os.getpid():
                return
            self._resumed_pid = os.getpid()
        self._pool_get()

    def shutdown(self, *, wait: bool) -> None:
        """Stop the pool; work submitted afterwards starts a fresh one."""
        with self._lock:
            pool, self._pool = self._pool_running(), None
        if pool is not None:
            pool.stop(wait=wait)

    def futures_in_flight(self) -> int:
        """Futures submitted to this process's pool and not done."""
        pool = self._pool_running()
        return pool.futures_in_flight() if pool is not None else 0

    def _pool_get(self) -> "_Pool":
        """The process's pool, created on first use so a fork never inherits it."""
        with self._lock:
            pool = self._pool_running()
            if pool is None:
                pool = self._pool = _Pool(workers=conf.current().max_workers)
            return pool

    def _pool_running(self) -> "_Pool | None":
        with self._lock:
            pool = self._pool
        return pool if pool is not None and pool.pid == os.getpid() else None


class _Pool:
    """The executor, the futures it holds, and the feeder thread that submits them."""

    def __init__(self, *, workers: int) -> None:
        self.pid = os.getpid()
        self.workers = workers
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="wikicheck")
        self._condition = threading.Condition()
        self._futures: dict[Future, Claim] = {}
        self._queue_empty = False  # the last claim found nothing; a wake-up says look again
        self._wakes = 0  # wake-ups so far, so one that comes during a claim is not lost
        self._stopping = False
        self._feeder = threading.Thread(target=self._feed, name="wikicheck-feeder", daemon=True)
        self._feeder.start()

    # --- Called by other threads -----------------------------------------------------------------

    def wake(self) -> None:
        """New pending rows may exist."""
        with self._condition:
            self._queue_empty = False
            self._wakes += 1
            self._condition.notify()

    def futures_in_flight(self) -> int:
        with self._condition:
            return len(self._futures)

    def batch_cancel(self, batch_id) -> None:
        """Cancel the batch's futures not started; their rows are counted as not checked."""
        with self._condition:
            futures = [f for f, claim in self._futures.items() if claim.batch_id == batch_id]
        for future in futures:
            future.cancel()

    def stop(self, *, wait: bool) -> None:
        with self._condition:
            self._stopping = True
            self._condition.notify()
        # Unstarted futures are cancelled, so their rows are given back (_unit_done).
        self._executor.shutdown(wait=wait, cancel_futures=True)
        if wait:
            self._feeder.join()
            writer_flush()

    # --- Futures ---------------------------------------------------------------------------------

    def _submit(self, claim: Claim) -> None:
        try:
            future = self._executor.submit(unit_check, claim)
        except RuntimeError:  # the pool or the interpreter is shutting down
            unchecked_submit(claim.rows)
            return
        with self._condition:
            self._futures[future] = claim
        future.add_done_callback(self._unit_done)

    def _unit_done(self, future: Future) -> None:
        with self._condition:
            claim = self._futures.pop(future)
            # The feeder wakes only when a claim is due, not for every future that ends.
            if self._needs_units():
                self._condition.notify()
        if future.cancelled():
            # Not started: its batch was cancelled, or the pool is stopping.
            unchecked_submit(claim.rows)
            return
        error = future.exception()
        outcomes_submit(future.result() if error is None else unit_failed(claim, error=error))

    # --- The feeder thread -----------------------------------------------------------------------

    def _feed(self) -> None:
        next_sweep = 0.0
        try:
            while True:
                with self._condition:
                    self._condition.wait_for(
                        lambda: self._stopping or self._needs_units(),
                        timeout=max(next_sweep - time.monotonic(), 0.0),
                    )
                    if self._stopping:
                        return
                try:
                    if time.monotonic() >= next_sweep:
                        self._sweep()
                        next_sweep = time.monotonic() + conf.current().sweep_seconds
                    self._top_up()
                except Exception:
                    # Rows claimed meanwhile stay claimed until this process exits (or dies and
                    # another's sweep gives them back). Keep feeding the workers.
                    logger.exception("the feeder failed a round; trying again")
                    connection.close()
                    time.sleep(1)
        finally:
            connection.close()

    def _room(self) -> int:
        return FUTURES_PER_WORKER * self.workers - len(self._futures)

    def _needs_units(self) -> bool:
        return not self._queue_empty and self._room_to_claim() > 0

    def _room_to_claim(self) -> int:
        # A few units at a time rather than one per finished future: claims are the queue's
        # hot path, and topping up to the last free place made most claims one unit long.
        room = self._room()
        return room if room >= min(CLAIM_SLICE, self.workers) else 0

    def _claim_slice(self) -> int:
        return max(CLAIM_SLICE, self.workers // 2)

    def _top_up(self) -> None:
        while True:
            with self._condition:
                wanted = 0 if self._stopping else self._room_to_claim()
                wakes = self._wakes
            if wanted <= 0:
                return
            claims = results_claim(units=min(wanted, self._claim_slice()))
            if not claims:
                with self._condition:
                    # Rows committed while the claim read may be new to it: look again.
                    if self._wakes != wakes:
                        continue
                    self._queue_empty = True
                return
            for claim in claims:
                self._submit(claim)

    def _sweep(self) -> None:
        """Requeue rows a dead process held, look for work again, and learn of cancellations
        made in other processes."""
        work_sweep()
        with self._condition:
            self._queue_empty = False
            held = {claim.batch_id for claim in self._futures.values()}
        if held:
            cancelled = Batch.objects.filter(pk__in=held, status=Batch.Status.CANCELLED)
            for batch_id in cancelled.values_list("pk", flat=True):
                self.batch_cancel(batch_id)
