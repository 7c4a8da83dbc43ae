"""The production server: gunicorn with DEBUG off, static files from whitenoise, prompt SIGTERM."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from checks.fakewiki import free_port
from tests.support import ROOT, wait_until

GUNICORN = Path(sys.executable).with_name("gunicorn")


@pytest.fixture
def production(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "p7!Qm2#pL9@vR4$wT8^zK1&nB6*cY3(hJ5)dF0-gS_uE+aW=oI]x" * 2,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'production.sqlite3'}",
        "STATIC_ROOT": str(tmp_path / "static"),
        # Plain HTTP on loopback; behind a real deployment TLS ends at the proxy.
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
    server = subprocess.Popen(
        [str(GUNICORN), "wikicheck_site.wsgi", "--workers", "2", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            return requests.get(url + "/accounts/login/", timeout=1).status_code == 200
        except requests.ConnectionError:
            assert server.poll() is None, server.stderr.read().decode()[-2000:]
            return False

    wait_until(answers, timeout=60)
    yield server, url
    if server.poll() is None:
        server.kill()
        server.wait(timeout=10)


def test_gunicorn_serves_pages_and_hashed_static_files_with_debug_off(production):
    _, url = production

    login = requests.get(url + "/accounts/login/", timeout=5)
    stylesheet = re.search(r'href="(/static/css/wikicheck\.[0-9a-f]+\.css)"', login.text)
    css = requests.get(url + stylesheet.group(1), timeout=5)

    assert login.status_code == 200
    assert css.status_code == 200
    assert "max-age" in css.headers["Cache-Control"]


def test_gunicorn_stops_promptly_on_sigterm(production):
    server, _ = production

    started = time.monotonic()
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=30)

    assert time.monotonic() - started < 10
    assert server.returncode == 0
