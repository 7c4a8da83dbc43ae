"""How the commands that wait for checks end: the exit codes they share, SIGTERM taken as
Ctrl-C, so that a batch stops with its checks stored instead of dying with them unstored, and
the endings told without Django's "CommandError: " prefix."""

import atexit
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_TERMINATED = 143  # 128 + SIGTERM


class Terminated(Exception):
    """SIGTERM arrived: stop as Ctrl-C stops."""


@contextmanager
def terminate_interrupts() -> Iterator[None]:
    """SIGTERM raises Terminated in the main thread for the duration (a signal is handled there
    only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum: int, frame) -> None:
        raise Terminated

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def interrupted_exit(exc: BaseException) -> int:
    """The exit code of a command stopped by `exc`: Ctrl-C's or SIGTERM's."""
    return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED


class PlainExit(CommandError):
    """An ending the user asked for or caused (--fail-on, Ctrl-C), not a mistake in the input:
    on the command line, its message alone and its exit code."""


class PlainExitCommand(BaseCommand):
    """A command whose PlainExit is told without the "CommandError: " prefix, and whose process
    ends as soon as its work is done and stored."""

    # Django's system checks validate the whole project (URLs, admin, templates) before every
    # command: 0.06 s of each script's run, for a project `migrate` and the server check.
    requires_system_checks: list[str] = []

    def run_from_argv(self, argv: list[str]) -> None:
        try:
            super().run_from_argv(argv)
        except SystemExit as exc:
            code = exc.code
        else:
            code = 0
        exit_now(code)

    def execute(self, *args: Any, **options: Any) -> Any:
        try:
            return super().execute(*args, **options)
        except PlainExit as exc:
            # call_command's callers get the CommandError they expect; only run_from_argv, which
            # would prefix the class name, is spared it. --traceback still shows where it came from.
            if not self._called_from_command_line or options.get("traceback"):
                raise
            self.stderr.write(str(exc))
            sys.exit(exc.returncode)


def exit_now(code: int | str | None) -> None:
    """End the process as Python would, but for the teardown of the interpreter: the pool is
    stopped (its checks stored), the exit functions run (the writer's last round, the process
    leaving the registry, logging), connections and streams closed; then no module is torn down,
    which took 0.1 s after the results were written."""
    from checks.engine.backends import backend

    if code is not None and not isinstance(code, int):
        sys.stderr.write(f"{code}\n")
        code = 1
    backend().shutdown(wait=True)
    atexit._run_exitfuncs()
    connections.close_all()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(code or 0)
