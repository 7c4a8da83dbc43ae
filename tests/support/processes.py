"""Starting a process from the project folder, waiting for it with a deadline instead of
sleeping blind, and ending it: what every helper that starts a process shares."""

import contextlib
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[2]

T = TypeVar("T")


def wait_until(predicate: Callable[[], T], *, timeout: float = 30, interval: float = 0.05) -> T:
    """Poll `predicate` until it returns something truthy, failing the test at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s: {predicate}")
        time.sleep(interval)


def python_start(*arguments: str, env: dict[str, str] | None, log: Path | None) -> subprocess.Popen:
    """`python ARGUMENTS` from the project folder, its output appended to `log` (or dropped)."""
    with contextlib.ExitStack() as files:
        output = files.enter_context(log.open("ab")) if log else subprocess.DEVNULL
        return subprocess.Popen(
            [sys.executable, *arguments],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def process_end(process: subprocess.Popen, *, timeout: float = 30) -> None:
    """Stop a process this run started: SIGTERM, then SIGKILL if it lingers."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def log_tail(log: Path) -> str:
    """The end of a process's log, for the message of a start that failed."""
    return log.read_text()[-3000:] if log.exists() else "(no log)"
