"""Helpers shared by tests: waiting with a deadline instead of sleeping, a real server process."""

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import requests

from wikicheck_site.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent

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


class ServerProcess:
    """The real app (`manage.py runserver --noreload`) in a subprocess, for restart tests."""

    def __init__(self, *, port: int, env: dict[str, str]) -> None:
        self.port = port
        self.env = env
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen | None = None

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def start(self) -> "ServerProcess":
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{self.port}"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        wait_until(self._answers, timeout=60)
        return self

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"server exited: {self.process.stderr.read().decode()[-3000:]}")
        try:
            return requests.get(self.url + "/accounts/login/", timeout=1).status_code == 200
        except requests.ConnectionError:
            return False

    def login(self, *, username: str, password: str) -> requests.Session:
        session = requests.Session()
        session.get(self.url + "/accounts/login/", timeout=10)
        response = session.post(
            self.url + "/accounts/login/",
            data={
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": session.cookies["csrftoken"],
            },
            headers={"Referer": self.url + "/accounts/login/"},
            timeout=10,
        )
        assert response.url.rstrip("/") == self.url, "login failed"
        return session

    def stop(self, sig: int = signal.SIGTERM, *, timeout: float = 30) -> float:
        """Send `sig` and return how long the process took to exit."""
        started = time.monotonic()
        if self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=timeout)
        return time.monotonic() - started


def broker_use(url: str) -> None:
    """Point the Celery app at another broker from the next publish on."""
    celery_app.conf.broker_url = url
    # The app caches its connection and producer pools, which hold the previous URL.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
