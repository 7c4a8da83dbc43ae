"""The fake wiki in a process of its own (`python -m fakewiki`): a real wiki is on another
machine, so serving it must cost the process that measures no CPU."""

from collections.abc import Iterable
from pathlib import Path

import requests

from fakewiki.unreachable import free_port
from tests.support.processes import process_end, python_start, wait_until


class WikiProcess:
    """`python -m fakewiki` on a free port, once it answers; its counters are read over HTTP.
    Leaving the `with` block stops it."""

    def __init__(self, *, latency_ms: int = 0, log: Path | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.wiki_url = f"{self.url}/wiki/"
        self.control = requests.Session()
        arguments = ("--port", str(self.port), "--latency-ms", str(latency_ms))
        self.process = python_start("-m", "fakewiki", *arguments, env=None, log=log)
        try:
            wait_until(self._answers, timeout=30)
        except BaseException:
            self.stop()
            raise

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"the fake wiki exited with {self.process.returncode}")
        try:
            self.reset()
        except requests.ConnectionError:
            return False
        return True

    def reset(self) -> None:
        """Forget the requests counted so far."""
        self.control.post(f"{self.url}/__fakewiki/reset", timeout=10).raise_for_status()

    def stats(self) -> dict:
        """The requests counted since the last reset: totals, per title, peak concurrency."""
        return self.control.get(f"{self.url}/__fakewiki/stats", timeout=10).json()

    def pages_edit(self, delete: Iterable[str] = (), create: Iterable[str] = ()) -> dict:
        """Delete, then create, pages whatever the wiki's rule says; returns every edit so far:
        {"deleted": [...], "created": [...]}, titles normalized."""
        edits = {"delete": list(delete), "create": list(create)}
        response = self.control.post(f"{self.url}/__fakewiki/pages", json=edits, timeout=10)
        response.raise_for_status()
        return response.json()

    def stop(self) -> None:
        self.control.close()
        process_end(self.process)

    def __enter__(self) -> "WikiProcess":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
