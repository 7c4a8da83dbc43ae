"""Real-browser fixtures: Debian's Chromium, driven by Playwright, against the live server.

The executable comes from WIKICHECK_CHROMIUM (scripts/test.sh exports it), since Playwright's
own browser download needs the open internet.
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

CHROMIUM = os.environ.get("WIKICHECK_CHROMIUM", "/usr/bin/chromium")
# Long enough for a slow CI machine, short enough that a broken page fails fast.
EXPECT_TIMEOUT_MS = 15_000

expect.set_options(timeout=EXPECT_TIMEOUT_MS)


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
