"""What the engine's tests share: processes of the registry that are dead or far away."""

import subprocess
import sys
from datetime import timedelta

import pytest
from django.utils import timezone

from checks.engine.heartbeat import process_id
from checks.engine.processes import CheckProcess, host_key


def finished_pid() -> int:
    """The PID of a process of this machine that has ended (and been waited for)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@pytest.fixture
def dead_process(db) -> CheckProcess:
    """A registered process of this machine that was killed: its heartbeat is still fresh."""
    # This process registers first: registering gives back the claims of the dead here.
    process_id()
    return CheckProcess.objects.create(
        host="this machine", pid=finished_pid(), host_key=host_key(), pid_start=1
    )


@pytest.fixture
def silent_process(db) -> CheckProcess:
    """A process of another machine whose last heartbeat is a minute old."""
    return CheckProcess.objects.create(
        host="elsewhere",
        pid=1,
        host_key="elsewhere:boot:1",
        heartbeat_at=timezone.now() - timedelta(minutes=1),
    )


@pytest.fixture
def live_remote_process(db) -> CheckProcess:
    """A process of another machine that beat just now."""
    return CheckProcess.objects.create(host="elsewhere", pid=2, host_key="elsewhere:boot:1")
