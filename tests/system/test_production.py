"""The production server: gunicorn with DEBUG off, static files from whitenoise, prompt SIGTERM."""

import re
import signal
import time

import pytest
import requests

from fakewiki.unreachable import free_port
from tests.support import gunicorn_start, process_end, production_environment

pytestmark = pytest.mark.system


@pytest.fixture
def production(tmp_path):
    """gunicorn as deploy/gunicorn.conf.py sets it up, DEBUG off; the process and its URL."""
    env = production_environment(directory=tmp_path)
    port = free_port()
    server = gunicorn_start(env=env, port=port, log=tmp_path / "gunicorn.log")
    yield server, f"http://127.0.0.1:{port}"
    process_end(server)


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
