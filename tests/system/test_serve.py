"""`scripts/serve.sh`'s start-up: a busy port is refused in one line before anything starts, and
the login box shows the one generated password again on every start, from a file only its owner
reads. (The whole start-up writes var/ in the checkout, so it is tried by hand, as the README's
"Trying it without the internet" runs it.)"""

import os
import re
import signal
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from fakewiki.unreachable import free_port
from tests.support import ROOT

pytestmark = pytest.mark.own_sqlite


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port another program listens on."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def serve(*args: str, **environment: str) -> subprocess.CompletedProcess:
    """Run serve.sh in a process group of its own, ended whole if it outlives the deadline."""
    process = subprocess.Popen(
        ["bash", "scripts/serve.sh", *args],
        cwd=ROOT,
        env={**os.environ, **environment},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        raise
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def test_a_busy_port_is_refused_in_one_line_before_anything_starts(busy_port):
    done = serve(PORT=str(busy_port))

    assert done.returncode == 1
    assert done.stdout == ""
    assert re.fullmatch(
        rf"Port {busy_port} is in use by another program: stop it, or start with PORT=(\d+) "
        r"bash scripts/serve.sh\n",
        done.stderr,
    )


def test_a_busy_fake_wiki_port_is_refused_before_the_demo_starts(busy_port):
    port = free_port()

    done = serve("--demo", PORT=str(port), FAKEWIKI_PORT=str(busy_port))

    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.startswith(f"Port {busy_port} is in use by another program: stop it, ")
    assert f"start with PORT={port} FAKEWIKI_PORT=" in done.stderr


def test_the_same_port_for_both_servers_is_refused():
    port = str(free_port())

    done = serve("--demo", PORT=port, FAKEWIKI_PORT=port)

    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"PORT and FAKEWIKI_PORT are both {port}: give them different ports.\n"


# --- The login box, as serve.sh runs its commands ----------------------------------------------


def manage(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def start_up(*, env: dict[str, str], password_file: Path) -> str:
    """The box, after the commands serve.sh runs before its server."""
    manage("migrate", "--noinput", env=env)
    manage("ensure_superuser", "--password-file", str(password_file), env=env)
    return manage("loginbox", "--password-file", str(password_file), env=env)


def test_every_start_shows_the_one_generated_password_kept_private(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
        "WIKICHECK_SITE_URL": "http://127.0.0.1:18000",
    }
    for name in ("DJANGO_SUPERUSER_USERNAME", "DJANGO_SUPERUSER_PASSWORD"):
        env.pop(name, None)
    password_file = tmp_path / "var" / "admin-password"

    first = start_up(env=env, password_file=password_file)
    again = start_up(env=env, password_file=password_file)

    password = password_file.read_text().split()[1]
    assert f"as admin / {password} │" in first
    assert again == first
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
