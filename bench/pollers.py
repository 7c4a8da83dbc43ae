"""Browsers on a batch page, polling its progress fragment as htmx does."""

import html
import re
import threading

import requests

from bench.web import WebServer

# The polling URL in a progress fragment, as htmx reads it from the section's hx-get.
HX_GET = re.compile(r'<section id="progress"[^>]*hx-get="([^"]+)"')


class Pollers:
    """`count` browsers on a batch page, each with its own session (made beforehand), polling
    its progress fragment as htmx does: every `interval` s, at the URL the last fragment gave,
    until 286. `answers` counts their answers by status, and under "early" those given before
    the session was read."""

    def __init__(self, *, server: WebServer, count: int, interval: float) -> None:
        self.answers: dict[int | str, int] = {}
        self._server = server
        self._interval = interval
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._sessions = [server.browser() for _ in range(count)]
        self._threads: list[threading.Thread] = []

    def start(self, *, batch_id: str) -> None:
        first = f"{self._server.url}/batches/{batch_id}/progress/?page=1&after=0"
        self._threads = [
            threading.Thread(target=self._poll, args=(session, first)) for session in self._sessions
        ]
        for thread in self._threads:
            thread.start()

    def _poll(self, session: requests.Session, url: str) -> None:
        while not self._stop.is_set():
            response = session.get(url, headers={"HX-Request": "true"}, timeout=60)
            # An answer that read the session varies by cookie; one given before did not.
            early = "Cookie" not in response.headers.get("Vary", "")
            with self._lock:
                self.answers[response.status_code] = self.answers.get(response.status_code, 0) + 1
                self.answers["early"] = self.answers.get("early", 0) + early
            if response.status_code == 286:
                return
            found = HX_GET.search(response.text) if response.status_code == 200 else None
            if found:
                url = self._server.url + html.unescape(found.group(1))
            self._stop.wait(self._interval)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()
