"""Failures leave their traceback in the log, also with DEBUG off."""

import os
import signal

import pytest
import requests

from fakewiki.unreachable import free_port
from tests.support import ServerProcess

pytestmark = pytest.mark.own_sqlite

SECRET_KEY = "log-test-key-" + "x" * 50


@pytest.fixture
def production_server(tmp_path):
    """The real app with DEBUG off, and a view that raises (tests/error_urls.py)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.error_settings",
        "DEBUG": "0",
        "SECRET_KEY": SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'logging.sqlite3'}",
        "STATIC_ROOT": str(tmp_path / "static"),
    }
    server = ServerProcess(port=free_port(), env=env)
    server.manage("migrate", "--noinput")
    server.manage("collectstatic", "--noinput")
    server.start()
    yield server
    server.stop(signal.SIGKILL)


@pytest.mark.system
def test_a_failing_view_logs_its_traceback_with_debug_off(production_server):
    response = requests.get(production_server.url + "/fail/", timeout=10)
    production_server.stop()

    log = production_server.process.stderr.read().decode()
    assert response.status_code == 500
    assert "Internal Server Error: /fail/" in log
    assert "Traceback (most recent call last)" in log
    assert "RuntimeError: a failure to show the 500 page" in log
