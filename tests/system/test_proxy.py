"""The production pair as docs/deploy.md runs it: gunicorn behind nginx with the shipped
deploy/nginx.conf. Slow clients cost nginx idle connections, never gunicorn's threads, and failed
logins are counted by the address nginx forwards."""

import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests
from requests.adapters import HTTPAdapter

from fakewiki.unreachable import free_port
from tests.support import (
    ROOT,
    SlowClients,
    gunicorn_start,
    nginx_start,
    process_end,
    production_environment,
    wait_until,
)

pytestmark = pytest.mark.system

# deploy/gunicorn.conf.py: 2 workers of 4 threads; one slow client more than threads, of each kind.
SLOW_CLIENTS = 2 * 4 + 1
PASSWORD = "wikicheck-pass-1"


@pytest.fixture(scope="module")
def nginx_url(tmp_path_factory):
    """gunicorn (DEBUG off) behind nginx, both started as a deployment starts them; nginx's URL.

    The database has one user, alice."""
    directory = tmp_path_factory.mktemp("production")
    env = {**production_environment(directory=directory), "WIKICHECK_PROXY_COUNT": "1"}
    subprocess.run(
        [sys.executable, "manage.py", "ensure_superuser"],
        cwd=ROOT,
        env={**env, "DJANGO_SUPERUSER_USERNAME": "alice", "DJANGO_SUPERUSER_PASSWORD": PASSWORD},
        check=True,
        timeout=60,
        capture_output=True,
    )
    # Started as root, nginx's workers run as `nobody`, who must reach its temporary files; the
    # test's own directory is private to root.
    run_dir = Path(tempfile.mkdtemp(prefix="wikicheck-nginx-"))
    run_dir.chmod(0o755)
    gunicorn_port = free_port()
    gunicorn = gunicorn_start(env=env, port=gunicorn_port, log=directory / "gunicorn.log")
    try:
        port = free_port()
        nginx = nginx_start(env=env, port=port, gunicorn_port=gunicorn_port, run_dir=run_dir)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            process_end(nginx)
    finally:
        process_end(gunicorn)
        shutil.rmtree(run_dir)


def login_page_seconds(url: str) -> float:
    """How long GET /accounts/login/ takes to answer 200 (infinity when it does not within 5 s)."""
    started = time.monotonic()
    try:
        response = requests.get(url + "/accounts/login/", timeout=5)
    except requests.Timeout:
        return float("inf")
    assert response.status_code == 200
    return time.monotonic() - started


def test_slow_clients_do_not_delay_other_requests_behind_nginx(nginx_url):
    port = int(nginx_url.rsplit(":", 1)[1])

    with SlowClients(port=port, headers=SLOW_CLIENTS, bodies=SLOW_CLIENTS, interval=1) as slow:
        seconds = []
        # One normal request after each of 5 rounds in which every slow client sent one piece.
        for round_number in range(1, 6):
            wait_until(lambda number=round_number: slow.rounds >= number, timeout=10)
            seconds.append(login_page_seconds(nginx_url))
        still_sending = len(slow.connections) - slow.answered()

    assert max(seconds) < 1, seconds
    assert still_sending == 2 * SLOW_CLIENTS


class SourceAddressAdapter(HTTPAdapter):
    """Connects from another loopback address (127.0.0.0/8 is all loopback on Linux)."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs, source_address=(self.address, 0))


def login_status(url: str, *, address: str, password: str) -> int:
    """Log in as alice from `address` through the login form; the answer's status code."""
    session = requests.Session()
    session.mount("http://", SourceAddressAdapter(address))
    form = session.get(url + "/accounts/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    response = session.post(
        url + "/accounts/login/",
        data={"username": "alice", "password": password, "csrfmiddlewaretoken": token},
        # With DEBUG off the CSRF cookie is marked Secure, which requests keeps off plain HTTP.
        headers={"Cookie": f"csrftoken={form.cookies['csrftoken']}"},
        allow_redirects=False,
        timeout=10,
    )
    return response.status_code


def test_behind_nginx_failed_logins_are_counted_per_client_address(nginx_url):
    for _ in range(5):
        login_status(nginx_url, address="127.0.0.2", password="wrong")

    attacker = login_status(nginx_url, address="127.0.0.2", password=PASSWORD)
    owner = login_status(nginx_url, address="127.0.0.3", password=PASSWORD)

    assert attacker == 429
    assert owner == 302


def test_a_slightly_oversized_submission_gets_the_apps_own_message_through_nginx(nginx_url):
    # Over Django's limit (5 MiB of submission, 64 KiB for the rest), just under nginx's (1 MiB
    # more). Django answers without reading the body; gunicorn must still read it, or nginx, cut
    # off while sending it, answers 502 (deploy/gunicorn.conf.py): [413, 502, 502] without that.
    body = b"urls=" + b"a" * (5 * 1024 * 1024 + 64 * 1024 + 1000 * 1024)

    responses = [
        requests.post(
            nginx_url + "/",
            data=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=30,
        )
        for _ in range(3)
    ]

    assert [response.status_code for response in responses] == [413] * 3
    assert all("The submission is larger than 5,242,880 bytes" in r.text for r in responses)
