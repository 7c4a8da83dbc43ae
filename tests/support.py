"""Helpers shared by tests: waiting with a deadline instead of sleeping, real server processes
(runserver; gunicorn behind nginx), slow clients."""

import contextlib
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import requests
from django import db

from checks.models import Result
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


# --- The production pair: gunicorn behind nginx, as docs/deploy.md runs it ---------------------

GUNICORN = Path(sys.executable).with_name("gunicorn")
SECRET_KEY = "p7!Qm2#pL9@vR4$wT8^zK1&nB6*cY3(hJ5)dF0-gS_uE+aW=oI]x" * 2


def production_environment(*, directory: Path) -> dict[str, str]:
    """The environment of a production server (DEBUG off) with a database of its own in
    `directory`, migrated, and its static files collected."""
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{directory / 'production.sqlite3'}",
        "STATIC_ROOT": str(directory / "static"),
        # Plain HTTP on loopback; in a real deployment TLS ends at the proxy.
        "SECURE_SSL_REDIRECT": "0",
    }
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=120,
            capture_output=True,
        )
    return env


def gunicorn_start(*, env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    """gunicorn as deploy/gunicorn.conf.py sets it up (2 workers of 4 threads) on 127.0.0.1:`port`,
    once it answers; its log goes to `log`."""
    with log.open("ab") as log_file:
        server = subprocess.Popen(
            [str(GUNICORN), "wikicheck_site.wsgi", "--config", "deploy/gunicorn.conf.py"],
            cwd=ROOT,
            env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
            stdout=log_file,
            stderr=log_file,
        )
    wait_until(lambda: login_page_answers(port=port, process=server, log=log), timeout=60)
    return server


def nginx_start(
    *, env: dict[str, str], port: int, gunicorn_port: int, run_dir: Path
) -> subprocess.Popen:
    """nginx with the shipped deploy/nginx.conf, started by scripts/nginx.sh as a deployment
    starts it, on 127.0.0.1:`port` in front of gunicorn on `gunicorn_port`, once it answers."""
    run_dir.mkdir(parents=True, exist_ok=True)
    log = run_dir / "nginx.log"
    with log.open("ab") as log_file:
        proxy = subprocess.Popen(
            ["bash", "scripts/nginx.sh"],
            cwd=ROOT,
            env={
                **env,
                "NGINX_LISTEN": f"127.0.0.1:{port}",
                "GUNICORN_BIND": f"127.0.0.1:{gunicorn_port}",
                "NGINX_RUN_DIR": str(run_dir),
            },
            stdout=log_file,
            stderr=log_file,
        )
    wait_until(lambda: login_page_answers(port=port, process=proxy, log=log), timeout=60)
    return proxy


def login_page_answers(*, port: int, process: subprocess.Popen, log: Path) -> bool:
    if process.poll() is not None:
        raise AssertionError(f"exited with {process.returncode}: {log.read_text()[-3000:]}")
    try:
        return requests.get(f"http://127.0.0.1:{port}/accounts/login/", timeout=1).ok
    except requests.RequestException:
        return False


def process_end(process: subprocess.Popen) -> None:
    """Stop a server this test started: SIGTERM, then SIGKILL if it lingers."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


class SlowClients:
    """Connections that send a request a piece at a time, as a slowloris attack does.

    `headers` connections send a request line and then one more header line every `interval`
    seconds, never ending the header; `bodies` send a whole header declaring a 100,000-byte body
    and then one byte of it every `interval`. Use as a context manager: leaving it closes them.
    """

    BODY_HEADER = (
        b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\n"
    )

    def __init__(self, *, port: int, headers: int, bodies: int, interval: float) -> None:
        self.port = port
        self.counts = (headers, bodies)
        self.interval = interval
        self.connections: list[tuple[socket.socket, bytes]] = []
        # Rounds of one more piece on every connection sent so far.
        self.rounds = 0
        self._stop = threading.Event()
        self._trickler = threading.Thread(target=self._trickle, daemon=True)

    def __enter__(self) -> "SlowClients":
        headers, bodies = self.counts
        for start, piece, count in (
            (b"GET /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n", b"X-Slow: 1\r\n", headers),
            (self.BODY_HEADER, b"a", bodies),
        ):
            for _ in range(count):
                connection = socket.create_connection(("127.0.0.1", self.port), timeout=5)
                connection.sendall(start)
                self.connections.append((connection, piece))
        self._trickler.start()
        return self

    def _trickle(self) -> None:
        while not self._stop.wait(self.interval):
            for connection, piece in self.connections:
                # A connection the server closed is counted by answered().
                with contextlib.suppress(OSError):
                    connection.sendall(piece)
            self.rounds += 1

    def answered(self) -> int:
        """How many the server has answered or dropped, instead of waiting for the rest."""
        readable, _, _ = select.select(
            [connection for connection, _ in self.connections], [], [], 0
        )
        return len(readable)

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._trickler.join(timeout=10)
        for connection, _ in self.connections:
            connection.close()


def results_copy(*, source, targets) -> None:
    """Copy the result rows of batch `source` into each batch of `targets`, one INSERT ... SELECT
    each: a million rows in seconds, where inserting them one by one takes minutes."""
    table = db.connection.ops.quote_name(Result._meta.db_table)
    columns = (
        "position, url, title, api_url, status, error, redirect_target, normalized_title, note"
    )
    as_value = Result._meta.get_field("batch").get_db_prep_save
    with db.connection.cursor() as cursor:
        for target in targets:
            cursor.execute(
                f"INSERT INTO {table} (batch_id, {columns}) SELECT %s, {columns} "
                f"FROM {table} WHERE batch_id = %s",
                [as_value(target.pk, db.connection), as_value(source.pk, db.connection)],
            )
