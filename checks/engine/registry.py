"""The process registry's transitions: a process registers, beats, deregisters; the rows a dead
process held go back to the queue."""

# A claim is lost only when its claimer is gone: its PID is dead on this machine, or its heartbeat
# is older than WIKICHECK_HEARTBEAT_TIMEOUT anywhere. Each release is a conditional DELETE of the
# process's entry, and only whoever deleted it gives back its rows (those still claimed by it), so
# any number of processes may reap at once and each row is released once.

import logging
import os
import socket
from datetime import timedelta
from uuid import UUID

from django.db.models import Q
from django.utils import timezone

from checks import conf
from checks.engine.processes import CheckProcess, host_key, pid_alive, pid_start
from checks.engine.workqueue import running_release, write_transaction
from checks.models import Result

logger = logging.getLogger(__name__)


def process_register(*, kind: str) -> UUID:
    """Enter this process in the registry, once the claims of dead processes on this machine are
    back in the queue; returns its id, which its claims are recorded with."""
    processes_reap(timeout=None)
    entry = CheckProcess.objects.create(
        host=socket.gethostname()[:255],
        pid=os.getpid(),
        kind=kind,
        host_key=host_key(),
        pid_start=pid_start(os.getpid()),
    )
    return entry.pk


def process_beat(*, pk: UUID) -> bool:
    """Record that the process is alive; False if it was taken for dead meanwhile (its rows
    were given back, and it must register again to claim any)."""
    with write_transaction():
        return bool(CheckProcess.objects.filter(pk=pk).update(heartbeat_at=timezone.now()))


def process_deregister(*, pk: UUID) -> int:
    """Leave the registry at a clean exit; rows still claimed go back to the queue. Returns how
    many did."""
    return len(_release(CheckProcess.objects.filter(pk=pk), pk=pk) or ())


def processes_reap(*, timeout: float | None) -> list[int]:
    """Give back the rows of every process that is gone: dead on this machine, or (with a
    `timeout`) silent for longer than `timeout` seconds anywhere; and rows no registered process
    holds. Returns the ids of the rows put back in the queue."""
    now, here = timezone.now(), host_key()
    released: list[int] = []
    gone_ids: list[UUID] = []
    for entry in CheckProcess.objects.order_by():
        if entry.host_key == here and not pid_alive(pid=entry.pid, start=entry.pid_start):
            gone = CheckProcess.objects.filter(pk=entry.pk)
        elif timeout is not None and entry.heartbeat_at < now - timedelta(seconds=timeout):
            # Conditional: a beat since the read proves it alive after all.
            gone = CheckProcess.objects.filter(pk=entry.pk, heartbeat_at=entry.heartbeat_at)
        else:
            continue
        rows = _release(gone, pk=entry.pk)
        if rows is None:
            continue  # already reaped or deregistered, by this process or another
        if rows:
            logger.warning(
                "%s stopped holding %d rows: they are back in the queue", entry, len(rows)
            )
        released += rows
        gone_ids.append(entry.pk)
    _slots_free(owners=gone_ids)
    if timeout is not None:
        released += _orphans_release(since=now - timedelta(seconds=timeout))
    return released


def _release(entries, *, pk: UUID) -> list[int] | None:
    """The ids of the rows the process held, back in the queue; None if it was not ours to
    release."""
    with write_transaction():
        if not entries.delete()[0]:
            return None
        return running_release(
            Result.objects.filter(claimed_by_id=pk, status=Result.Status.RUNNING)
        )


def _slots_free(*, owners: list[UUID]) -> None:
    """The Redis host slots the processes gone held come back at once, as their rows do, not
    when their leases end."""
    redis_url = conf.current().host_limiter_url
    if not owners or not redis_url:
        return
    # Imported here so that a process without a Redis limiter never loads redis.
    from checks.probe.host_slots import slots_release

    try:
        freed = slots_release(redis_url=redis_url, owners=[owner.hex for owner in owners])
    except Exception:
        logger.warning("could not free the host slots of stopped processes", exc_info=True)
        return
    if freed:
        logger.warning("freed %d host slots of stopped processes", freed)


def _orphans_release(*, since) -> list[int]:
    """Rows claimed by no registered process: claimed before this version, or whose process's
    entry was removed by hand. Claimed long enough ago that their claimer had registered."""
    registered = CheckProcess.objects.values("pk")
    rows = Result.objects.filter(status=Result.Status.RUNNING, claimed_at__lt=since).filter(
        Q(claimed_by__isnull=True) | ~Q(claimed_by__in=registered)
    )
    with write_transaction():
        return running_release(rows)
