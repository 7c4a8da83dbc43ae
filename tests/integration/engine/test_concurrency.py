"""Concurrent submissions: every one is stored, and a database that stays locked answers 503.

SQLite admits one writer at a time. Submissions queue on the same per-process lock as the
feeder's writes (workqueue.write_transaction); a lock that still cannot be had within the
busy timeout answers "try again" (503 with Retry-After) instead of a server error.
"""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
import requests
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse

from checks.batches import batch_create
from checks.engine import workqueue as queue
from checks.engine.backends.base import Backend
from checks.engine.backends.threads import ThreadsBackend
from checks.intake.parsing import Entry
from checks.models import ApiToken, Batch, Result
from fakewiki.unreachable import free_port
from tests.support import ROOT, ServerProcess, wait_until

WIKI = "https://en.wikipedia.org/wiki/"
BUSY = "The database is busy, so this request was not carried out. Try again in a moment."
SUBMISSIONS_PER_ROUTE = 10
PASSWORD = "concurrent-pass-123"
GUNICORN = Path(sys.executable).with_name("gunicorn")
PROCFILE_OPTIONS = ("--workers", "2", "--threads", "4", "--bind")
PAGES_PER_SUBMISSION = 20

sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite's writer lock and its 'database is locked'"
)


@pytest.fixture
def no_workers(monkeypatch):
    """Submissions only: no page is checked, so only the submissions contend for the lock."""
    monkeypatch.setattr(ThreadsBackend, "work_submitted", Backend.work_submitted)


@pytest.fixture
def api_key(user) -> str:
    token = ApiToken(user=user, name="script")
    key = token.key_generate()
    token.save()
    return key


class RecordingLock:
    """A lock that counts how often it was taken."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.acquired = 0

    def __enter__(self) -> None:
        self.lock.acquire()
        self.acquired += 1

    def __exit__(self, *exc_info) -> None:
        self.lock.release()


@sqlite_only
@pytest.mark.django_db
def test_batch_create_queues_on_the_processs_sqlite_writer_lock(user, monkeypatch, no_workers):
    writers = RecordingLock()
    monkeypatch.setattr(queue, "_sqlite_writers", writers)

    batch_create(owner=user, entries=[Entry(url=f"{WIKI}Ocean", title="Ocean")], wiki=WIKI)

    assert writers.acquired == 1


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_submissions_through_the_form_and_the_api_are_all_stored(
    user, api_key, no_workers
):
    statuses: list[int] = []
    start = threading.Barrier(2 * SUBMISSIONS_PER_ROUTE)

    def pages(prefix: str) -> list[str]:
        return [f"{prefix} {n}" for n in range(PAGES_PER_SUBMISSION)]

    def through_the_form(number: int) -> int:
        client = Client()
        client.force_login(user)
        start.wait()
        return client.post(
            reverse("home"), {"urls": "\n".join(pages(f"Form {number}")), "wiki": WIKI}
        ).status_code

    def through_the_api(number: int) -> int:
        client = Client(headers={"Authorization": f"Bearer {api_key}"})
        start.wait()
        body = json.dumps({"urls": pages(f"Api {number}")})
        return client.post("/api/batches/", body, content_type="application/json").status_code

    def submit(send, number: int) -> None:
        try:
            statuses.append(send(number))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=submit, args=(send, number))
        for number in range(SUBMISSIONS_PER_ROUTE)
        for send in (through_the_form, through_the_api)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert Counter(statuses) == {302: SUBMISSIONS_PER_ROUTE, 201: SUBMISSIONS_PER_ROUTE}
    assert Batch.objects.count() == 2 * SUBMISSIONS_PER_ROUTE
    assert Result.objects.count() == 2 * SUBMISSIONS_PER_ROUTE * PAGES_PER_SUBMISSION


@contextmanager
def database_locked_elsewhere() -> Iterator[None]:
    """Another connection holds SQLite's write lock for longer than this process waits (0.1 s)."""
    options = connection.settings_dict["OPTIONS"]
    timeout = options["timeout"]
    connection.close()
    options["timeout"] = 0.1
    holder = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.rollback()
        holder.close()
        connection.close()
        options["timeout"] = timeout


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_an_api_submission_that_finds_the_database_locked_answers_503_in_json(api_key, no_workers):
    client = Client(headers={"Authorization": f"Bearer {api_key}"})

    with database_locked_elsewhere():
        response = client.post(
            "/api/batches/", {"urls": ["Ocean"]}, content_type="application/json"
        )

    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert response.json() == {"errors": [{"message": BUSY}]}


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_a_form_submission_that_finds_the_database_locked_gets_the_busy_page(
    user_client, no_workers
):
    with database_locked_elsewhere():
        response = user_client.post(reverse("home"), {"urls": "Ocean", "wiki": WIKI})

    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert BUSY in response.content.decode()


@pytest.mark.django_db
def test_a_postgresql_lock_timeout_answers_503_in_json(api_key, monkeypatch):
    def lock_timeout(**kwargs):
        cause = psycopg.errors.LockNotAvailable("canceling statement due to lock timeout")
        raise OperationalError(str(cause)) from cause

    monkeypatch.setattr("checks.api.views.batch_create", lock_timeout)
    client = Client(headers={"Authorization": f"Bearer {api_key}"})

    response = client.post("/api/batches/", {"urls": ["Ocean"]}, content_type="application/json")

    assert response.status_code == 503
    assert response.json() == {"errors": [{"message": BUSY}]}


@pytest.mark.django_db
def test_another_database_error_is_still_a_server_error(user_client, monkeypatch, settings):
    settings.DEBUG = False
    user_client.raise_request_exception = False

    def broken(**kwargs):
        raise OperationalError("no such table: checks_batch")

    monkeypatch.setattr("checks.web.views.batch_create", broken)

    response = user_client.post(reverse("home"), {"urls": "Ocean", "wiki": WIKI})

    assert response.status_code == 500


# --- Against the production server --------------------------------------------------------------


@pytest.fixture
def gunicorn_server(tmp_path, fake_wiki_server):
    """gunicorn as the Procfile runs it (2 processes of 4 threads) on SQLite, checking pages on
    the fake wiki: two processes' submissions and feeders contend for the one writer lock."""
    fake_wiki_server.reset()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'concurrent.sqlite3'}",
        "WIKICHECK_ALLOWED_HOSTS": f"127.0.0.1:{fake_wiki_server.port}",
        "WIKICHECK_DEFAULT_WIKI": fake_wiki_server.wiki_url,
        "DJANGO_SUPERUSER_USERNAME": "submitter",
        "DJANGO_SUPERUSER_PASSWORD": PASSWORD,
    }
    server = ServerProcess(port=free_port(), env=env)
    server.manage("migrate", "--noinput")
    server.manage("ensure_superuser")
    with (tmp_path / "gunicorn.log").open("wb") as log:
        server.process = subprocess.Popen(
            [str(GUNICORN), "wikicheck_site.wsgi", *PROCFILE_OPTIONS, f"127.0.0.1:{server.port}"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    wait_until(lambda: _answers(server), timeout=60)
    yield server
    server.stop(signal.SIGKILL)


def _answers(server: ServerProcess) -> bool:
    assert server.process.poll() is None, "gunicorn exited"
    try:
        return requests.get(server.url + "/accounts/login/", timeout=5).status_code == 200
    except requests.RequestException:
        return False


@pytest.mark.system
def test_twenty_concurrent_submissions_to_gunicorn_on_sqlite_are_all_stored(gunicorn_server):
    server = gunicorn_server
    sessions = [
        server.login(username="submitter", password=PASSWORD)
        for _ in range(2 * SUBMISSIONS_PER_ROUTE)
    ]
    for session in sessions:
        # The logins' kept-alive connections may outlive gunicorn's keepalive (2 s) before all
        # are done; a POST sent on one the server just closed is reset, not retried.
        session.close()
    start = threading.Barrier(len(sessions))
    statuses: list[int] = []

    def submit(number: int, session: requests.Session) -> None:
        pages = [f"Page {number} {n}" for n in range(PAGES_PER_SUBMISSION)]
        headers = {"X-CSRFToken": session.cookies["csrftoken"], "Referer": server.url + "/"}
        start.wait()
        if number % 2:
            response = session.post(
                server.url + "/api/batches/", json={"urls": pages}, headers=headers, timeout=60
            )
        else:
            response = session.post(
                server.url + "/",
                data={"urls": "\n".join(pages), "wiki": server.env["WIKICHECK_DEFAULT_WIKI"]},
                headers=headers,
                allow_redirects=False,
                timeout=60,
            )
        statuses.append(response.status_code)

    threads = [
        threading.Thread(target=submit, args=(number, session))
        for number, session in enumerate(sessions)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert Counter(statuses) == {302: SUBMISSIONS_PER_ROUTE, 201: SUBMISSIONS_PER_ROUTE}
    database = server.env["DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(database) as db:
        batches = db.execute("select count(*), sum(total) from checks_batch").fetchone()
        rows = db.execute("select count(*) from checks_result").fetchone()[0]
    assert batches == (2 * SUBMISSIONS_PER_ROUTE, 2 * SUBMISSIONS_PER_ROUTE * PAGES_PER_SUBMISSION)
    assert rows == 2 * SUBMISSIONS_PER_ROUTE * PAGES_PER_SUBMISSION
