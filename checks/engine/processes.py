"""The process registry (a model of the checks app): every process that checks pages, with its
last heartbeat, and whether a process on this machine is still alive."""

import os
import socket
import uuid
from pathlib import Path

from django.db import models
from django.utils import timezone

PROC = Path("/proc")


class CheckProcess(models.Model):
    """A process that claims rows: a web server's pool, a Celery worker or `checkpages`."""

    class Kind(models.TextChoices):
        WEB = "web", "Web server"
        CELERY = "celery", "Celery worker"
        CHECKPAGES = "checkpages", "checkpages"

    # Never reused, unlike an integer key: an id outlives its entry in the claims it names.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    host = models.CharField(max_length=255, help_text="The machine's host name.")
    pid = models.PositiveIntegerField(verbose_name="PID")
    kind = models.CharField(max_length=16, choices=Kind, default=Kind.WEB)
    started_at = models.DateTimeField(default=timezone.now)
    heartbeat_at = models.DateTimeField(default=timezone.now, verbose_name="last heartbeat")
    host_key = models.CharField(
        max_length=128,
        help_text="The host name, boot and PID namespace: processes with the same key see each "
        "other's PIDs, so one can tell whether another is alive.",
    )
    pid_start = models.BigIntegerField(
        default=0,
        help_text="When the process started, in clock ticks since boot (0 if unknown): a PID "
        "reused by another process has another start.",
    )

    class Meta:
        verbose_name = "checking process"
        verbose_name_plural = "checking processes"
        ordering = ["host", "pid"]
        indexes = [models.Index(fields=["heartbeat_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pid} on {self.host}"


def host_key() -> str:
    """What a process shares with exactly those whose PIDs it can look up."""
    try:
        boot = (PROC / "sys/kernel/random/boot_id").read_text().strip()
        namespace = os.stat(PROC / "self/ns/pid").st_ino
    except OSError:
        boot, namespace = "", 0
    return f"{socket.gethostname()}:{boot}:{namespace}"[:128]


def pid_start(pid: int) -> int:
    """The process's start in clock ticks since boot; 0 where /proc cannot tell."""
    fields = _stat_fields(pid)
    return int(fields[19]) if fields else 0


def pid_alive(*, pid: int, start: int) -> bool:
    """Whether `pid` is still the process that started at `start` (0: any process with it)."""
    if PROC.joinpath("self/stat").exists():
        fields = _stat_fields(pid)
        # A killed process its parent has not waited for yet is a zombie: it checks nothing.
        if fields is None or fields[0] in ("Z", "X"):
            return False
        return not start or int(fields[19]) == start
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but another user's
        return True
    return True


def _stat_fields(pid: int) -> list[str] | None:
    """/proc/<pid>/stat's fields after the command name (state first), or None."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may itself contain spaces or parentheses.
    return stat[stat.rindex(")") + 2 :].split()
