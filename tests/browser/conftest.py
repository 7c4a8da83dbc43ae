"""Real-browser fixtures: Debian's Chromium, driven by Playwright, against the live server.

The executable comes from WIKICHECK_CHROMIUM (scripts/test.sh exports it), since Playwright's
own browser download needs the open internet.
"""

import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Page, expect

from checks.models import COUNTER_FIELDS, Batch, Result, name_from_titles

CHROMIUM = os.environ.get("WIKICHECK_CHROMIUM", "/usr/bin/chromium")
# Long enough for a slow CI machine, short enough that a broken page fails fast.
EXPECT_TIMEOUT_MS = 15_000

expect.set_options(timeout=EXPECT_TIMEOUT_MS)

# Where batch_stored() says its pages are: nothing is asked of it.
WIKI = "https://en.wikipedia.org/wiki/"
API = "https://en.wikipedia.org/w/api.php"
CHECK_MS = 120


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the browser tests last, so the lifted async check below covers no other test."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(scope="session", autouse=True)
def _orm_beside_playwright():
    """Let the tests' own ORM calls run in the thread where Playwright keeps its event loop.

    Playwright's sync API keeps an asyncio loop running in the main thread from the first
    browser test to the end of the session, and Django refuses ORM calls from a thread with a
    running loop (SynchronousOnlyOperation). Nothing async touches the database here: fixtures
    and tests call the ORM between browser steps, the live server and workers in their own
    threads. Set from the first browser test to the session's end, never for the tests before
    (the deploy check in test_security.py fails when a subprocess inherits it).
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            # Containers and CI runners have no user namespaces for the sandbox, no GPU and a
            # tiny /dev/shm; the rest keeps Chromium from calling home.
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1280, "height": 800}}


@pytest.fixture(scope="session")
def base_url(live_server) -> str:
    """Where `page.goto("/...")` goes: pytest-django's live server."""
    return live_server.url


@pytest.fixture(autouse=True)
def _fail_fast(page: Page) -> None:
    """Clicks and fills wait as long as `expect` does, not Playwright's default 30 s."""
    page.set_default_timeout(EXPECT_TIMEOUT_MS)


@pytest.fixture(autouse=True)
def _final_screenshot(page: Page, tmp_path: Path):
    """Keep a full-page screenshot of where each test ended, pass or fail, in its tmp dir."""
    yield
    page.screenshot(path=tmp_path / "final.png", full_page=True)


@pytest.fixture
def logged_in_page(page: Page, user, fake_wiki) -> Page:
    """A page on the home form, after logging in as `user` through the login form."""
    return log_in(page, username="alice", password="wikicheck-pass-1")


@pytest.fixture
def staff_page(page: Page, django_user_model, fake_wiki) -> Page:
    """A page on the home form, after logging in as a superuser through the login form."""
    django_user_model.objects.create_superuser(
        username="carol", password="wikicheck-pass-3", email="carol@example.org"
    )
    return log_in(page, username="carol", password="wikicheck-pass-3")


def log_in(page: Page, *, username: str, password: str) -> Page:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Check Wikipedia pages")).to_be_visible()
    return page


def session_open(page: Page, *, user, base_url: str) -> Page:
    """Log `user` in by handing the browser a session cookie, without the login form: for tests
    about other pages that log in once per test, many times over (the accessibility scan)."""
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base_url}]
    )
    return page


class Row(NamedTuple):
    """One result of a batch stored already settled, as a check would have left it."""

    title: str
    status: str
    http_status: int | None = None
    error: str = ""
    redirect_target: str = ""
    disambiguation: bool = False


def batch_stored(owner, rows: list[Row], *, status: str = "finished", **fields) -> Batch:
    """A batch of `rows` stored as the engine leaves one, its counters added up, without
    checking anything: `status` "running" with pending rows, or "finished" or "cancelled"."""
    checked = [row for row in rows if row.status in Result.CHECKED_STATUSES]
    statuses = Counter(row.status for row in rows)
    batch = Batch.objects.create(
        owner=owner,
        wiki=WIKI,
        total=len(rows),
        status=status,
        finished_at=None if status == Batch.Status.RUNNING else timezone.now(),
        entries_name=name_from_titles([row.title for row in rows], total=len(rows)),
        done=len(checked),
        cancelled_count=statuses[Result.Status.CANCELLED],
        redirect_count=sum(1 for row in checked if row.redirect_target),
        disambiguation_count=sum(1 for row in checked if row.disambiguation),
        checked_ms=CHECK_MS * len(checked),
        **{field: statuses[key] for key, field in COUNTER_FIELDS.items()},
        **fields,
    )
    completion = iter(range(1, len(checked) + 1))
    Result.objects.bulk_create(
        _result(batch, position, row, completion) for position, row in enumerate(rows)
    )
    return batch


def _result(batch: Batch, position: int, row: Row, completion: Iterator[int]) -> Result:
    settled = row.status in Result.CHECKED_STATUSES
    return Result(
        batch=batch,
        position=position,
        url=WIKI + row.title.replace(" ", "_"),
        title=row.title,
        # A page request has an HTTP status; the others were looked up through the API.
        api_url="" if row.http_status else API,
        status=row.status,
        http_status=row.http_status,
        error=row.error,
        redirect_target=row.redirect_target,
        disambiguation=row.disambiguation,
        elapsed_ms=CHECK_MS if settled else None,
        checked_at=timezone.now() if settled else None,
        completion_order=next(completion) if settled else None,
    )
