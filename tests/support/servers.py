"""The app's own servers in real processes: runserver for restart tests, and the production pair
(gunicorn behind nginx) as docs/deploy.md runs it."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.support.processes import ROOT, log_tail, wait_until


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

    def start(self, *, requests_allowed: bool = True) -> "ServerProcess":
        """Start the server and wait until its login page answers, or, without
        `requests_allowed`, until it listens: it is then sent no HTTP request at all."""
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{self.port}"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        wait_until(self._answers if requests_allowed else self._listens, timeout=60)
        return self

    def _listens(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"server exited: {self.process.stderr.read().decode()[-3000:]}")
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        except OSError:
            return False
        return True

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


# --- The production pair: gunicorn behind nginx, as docs/deploy.md runs it ---------------------

GUNICORN = Path(sys.executable).with_name("gunicorn")
SECRET_KEY = "p7!Qm2#pL9@vR4$wT8^zK1&nB6*cY3(hJ5)dF0-gS_uE+aW=oI]x" * 2


def production_environment(
    *, directory: Path, database_url: str = "", secret_key: str = SECRET_KEY
) -> dict[str, str]:
    """The environment of a production server (DEBUG off) with its static files collected in
    `directory`, on `database_url` (by default a database of its own there), migrated."""
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secret_key,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url or f"sqlite:///{directory / 'production.sqlite3'}",
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
        raise AssertionError(f"exited with {process.returncode}: {log_tail(log)}")
    try:
        return requests.get(f"http://127.0.0.1:{port}/accounts/login/", timeout=1).ok
    except requests.RequestException:
        return False
