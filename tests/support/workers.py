"""Celery from the outside: worker processes (`celery -A wikicheck_site worker`) and the broker
this process publishes to."""

import subprocess
from pathlib import Path

from tests.support.processes import log_tail, process_end, python_start, wait_until
from wikicheck_site.celery import app as celery_app


def broker_use(url: str) -> None:
    """Point the Celery app at another broker from the next publish on."""
    celery_app.conf.broker_url = url
    # The app caches its connection and producer pools, which hold the previous URL.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


class CeleryWorkers:
    """Named Celery worker processes sharing `env` (its database, broker and WIKICHECK_*
    settings), each logging to `<name>.log` in `logs`. Leaving the `with` block stops them."""

    def __init__(self, *, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, *names: str) -> None:
        """Start the named workers side by side and wait until each is ready for tasks."""
        readies = {name: self._readies(name) for name in names}
        for name in names:
            self.processes[name] = python_start(
                *("-m", "celery", "-A", "wikicheck_site", "worker"),
                *("--hostname", f"{name}@%h", "--loglevel", "INFO"),
                *("--without-mingle", "--without-gossip"),
                env=self.env,
                log=self.log(name),
            )
        for name in names:
            wait_until(lambda name=name: self._ready(name, readies[name]), timeout=60)

    def log(self, name: str) -> Path:
        return self.logs / f"{name}.log"

    def _readies(self, name: str) -> int:
        return self.log(name).read_text().count(" ready.") if self.log(name).exists() else 0

    def _ready(self, name: str, readies_before: int) -> bool:
        process = self.processes[name]
        if process.poll() is not None:
            raise AssertionError(f"Celery worker {name} exited:\n{log_tail(self.log(name))}")
        return self._readies(name) > readies_before

    def tasks_run_by(self, name: str) -> int:
        """Tasks the worker has run, from its log."""
        return self.log(name).read_text().count(" succeeded in ")

    def stop(self) -> None:
        """SIGTERM to every worker at once (each finishes its tasks in hand), then wait."""
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            process_end(process)

    def __enter__(self) -> "CeleryWorkers":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
