"""This process's entry in the registry: made before its first claim, kept fresh by a heartbeat
thread, removed at a clean exit."""

# The heartbeat thread also renews the Redis host slots the process holds, so that a live request
# keeps its slot however long it runs and a killed process's slots lapse with its heartbeat.

import atexit
import logging
import os
import threading
from uuid import UUID

from django.db import connection

from checks import conf
from checks.engine.processes import CheckProcess
from checks.engine.registry import process_beat, process_deregister, process_register

logger = logging.getLogger(__name__)

# At exit, how long the writer may take to store the last outcomes before the rows still claimed
# are given back (engine/writer.py waits as long).
EXIT_WAIT_SECONDS = 60

_lock = threading.RLock()
_kind: str = CheckProcess.Kind.WEB
_entry: "_Entry | None" = None


class _Entry:
    """The registry id of this process, and the thread that beats for it."""

    def __init__(self, *, kind: str) -> None:
        self.pid = os.getpid()
        self.kind = kind
        self.pk = process_register(kind=kind)
        _slots_owner(self.pk)
        self.stopped = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="wikicheck-heartbeat", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        while not self.stopped.wait(conf.current().heartbeat_seconds):
            try:
                if not process_beat(pk=self.pk):
                    with _lock:
                        self.pk = process_register(kind=self.kind)
                    _slots_owner(self.pk)
                    # Its rows were given back and may be checked elsewhere; its checks in
                    # flight are not stored (engine/outcomes.py keeps to the claimer).
                    logger.warning("this process was taken for dead; registered again")
            except Exception:
                logger.warning("the heartbeat failed; trying again", exc_info=True)
            finally:
                connection.close()
            _slots_renew()

    def stop(self) -> None:
        self.stopped.set()
        process_deregister(pk=self.pk)


def process_id() -> UUID:
    """This process's registry id, which its claims are recorded with; registers on first use
    (and again in a forked child, which is another process)."""
    global _entry
    with _lock:
        if _entry is None or _entry.pid != os.getpid():
            _entry = _Entry(kind=_kind)
        return _entry.pk


def process_kind() -> str:
    """What this process is registered as (or will be): web unless it said otherwise."""
    return _kind


def process_start(*, kind: str) -> UUID:
    """Register this process as `kind` now, so that the claims of processes that died on this
    machine go back to the queue before it checks anything; returns its id."""
    global _kind
    with _lock:
        _kind = kind
        return process_id()


def process_leave() -> None:
    """Leave the registry once what this process checked is stored (at exit; a later claim
    registers again, as a web process unless process_start() says otherwise)."""
    global _entry, _kind
    from checks.engine.writer import writer_flush  # the writer's module claims through this one

    with _lock:
        entry, _entry = _entry, None
        _kind = CheckProcess.Kind.WEB
    if entry is None or entry.pid != os.getpid():
        return
    writer_flush(timeout=EXIT_WAIT_SECONDS)
    try:
        entry.stop()
    except Exception:
        # Its heartbeat stops with it; any live process gives its rows back once it is missed.
        logger.warning("could not leave the process registry", exc_info=True)


def _slots_owner(pk: UUID) -> None:
    if conf.current().host_limiter_url:
        from checks.probe.host_slots import slots_owner_set

        slots_owner_set(pk.hex)


def _slots_renew() -> None:
    if conf.current().host_limiter_url:
        # Imported here so that a process without a Redis limiter never loads redis.
        from checks.probe.host_slots import held_slots_renew

        held_slots_renew()


atexit.register(process_leave)
