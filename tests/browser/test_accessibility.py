"""axe-core on every page of the site, at a desktop's and a phone's size, in the light and the dark
scheme: no violation of impact "serious" or "critical"."""

import json
import re
import uuid
from collections.abc import Callable, Iterator
from urllib.parse import urlencode

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import override_settings
from playwright.sync_api import Page, expect

from checks.models import ApiToken
from checks.watch.lists import list_save
from tests.browser.conftest import EXPECT_TIMEOUT_MS, WIKI, Row, batch_stored, session_open

pytestmark = [pytest.mark.browser, pytest.mark.markup, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
SCHEMES = ("light", "dark")
FAILING_IMPACTS = ("serious", "critical")
# The axe-core the package bundles (nothing is downloaded), and what a scan reports.
AXE = Axe()
AXE_OPTIONS = {"resultTypes": ["violations"]}

# A finished batch with every kind of result, as the engine stores them: errors and unknowns
# (the reasons are the fake wiki's faults', tests/integration/engine/test_faults.py), a missing
# page, an invalid title, a redirect and a disambiguation page.
PROBLEM_ROWS = [
    Row("Ocean", "exists"),
    Row("Missing reef", "missing"),
    Row("Redirect to Island", "exists", redirect_target="Island"),
    Row("Mercury", "exists", disambiguation=True),
    Row("Fault:500", "unknown", http_status=500, error="HTTP 500 Internal Server Error"),
    Row("Fault:redirect-away", "error", error="RedirectBlocked: redirect to evil.example"),
    Row("Invalid [title]", "invalid", error='The title contains invalid characters: "[".'),
]
RUNNING_ROWS = [
    Row("Ocean", "exists"),
    Row("Missing reef", "missing"),
    *(Row(f"Slow page {n}", "pending") for n in range(5)),
]
CANCELLED_ROWS = [
    Row("Ocean", "exists"),
    Row("Missing reef", "missing"),
    *(Row(f"Slow page {n}", "cancelled") for n in range(5)),
]


# --- The pages, each reached as a user reaches it --------------------------------------------


def form_submit(page: Page) -> None:
    # The button says how many pages it will check, once the browser has counted them.
    page.get_by_role("button", name=re.compile(r"^Check( \d+)? pages?$")).click()


def login_page(page: Page, user) -> None:
    page.goto("/accounts/login/")


def home_empty(page: Page, user) -> None:
    page.goto("/")


def home_with_errors(page: Page, user) -> None:
    page.goto("/")
    form_submit(page)
    expect(page.get_by_role("alert").first).to_be_visible()


def history_empty(page: Page, user) -> None:
    page.goto("/batches/")


def history_with_batches(page: Page, user) -> None:
    batch_stored(user, PROBLEM_ROWS, name="Sea pages")
    batch_stored(user, RUNNING_ROWS, status="running")
    batch_stored(user, CANCELLED_ROWS, status="cancelled")
    page.goto("/batches/")


def batch_running(page: Page, user) -> None:
    # Nothing checks it, so its polls would bring nothing new; polls ten minutes apart cannot
    # swap the section in the middle of a scan.
    with override_settings(WIKICHECK_POLL_SECONDS=600):
        page.goto(batch_stored(user, RUNNING_ROWS, status="running").get_absolute_url())


def batch_with_problems(page: Page, user) -> None:
    page.goto(batch_stored(user, PROBLEM_ROWS).get_absolute_url())


def batch_cancelled(page: Page, user) -> None:
    page.goto(batch_stored(user, CANCELLED_ROWS, status="cancelled").get_absolute_url())


def batch_delete(page: Page, user) -> None:
    page.goto(batch_stored(user, PROBLEM_ROWS).get_absolute_url() + "delete/")


def lists(page: Page, user) -> None:
    list_with_runs(user)
    page.goto("/lists/")


def list_new(page: Page, user) -> None:
    page.goto("/lists/new/")


def list_detail(page: Page, user) -> None:
    page.goto(list_with_runs(user).get_absolute_url())


def list_edit(page: Page, user) -> None:
    page.goto(list_with_runs(user).get_absolute_url() + "edit/")


def list_delete(page: Page, user) -> None:
    page.goto(list_with_runs(user).get_absolute_url() + "delete/")


def page_history(page: Page, user) -> None:
    batch_stored(user, PROBLEM_ROWS)
    batch = batch_stored(user, PROBLEM_ROWS)
    page.goto(f"/pages/?{urlencode({'url': batch.results.get(title='Fault:500').url})}")


def not_found(page: Page, user) -> None:
    page.goto(f"/batches/{uuid.uuid4()}/")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()


def server_error(page: Page, user) -> None:
    with override_settings(ROOT_URLCONF="tests.error_urls"):
        page.goto("/fail/")
    expect(page.get_by_role("heading", name="Server error")).to_be_visible()


def csrf_failure(page: Page, user) -> None:
    # A form whose cookie went (blocked, or expired with the browser session) fails its check.
    page.goto("/")
    page.context.clear_cookies(name=settings.CSRF_COOKIE_NAME)
    page.locator("#id_urls").fill("Ocean")
    form_submit(page)
    expect(page.get_by_role("heading", name="Form expired")).to_be_visible()


def api_tokens(page: Page, user) -> None:
    token = ApiToken(user=user, name="Nightly script")
    token.key_generate()
    token.save()
    page.goto("/tokens/")


def list_with_runs(user):
    saved_list = list_save(
        owner=user,
        name="Sea pages",
        entries="\n".join(row.title for row in PROBLEM_ROWS),
        wiki=WIKI,
        mode="api",
        schedule="daily",
    )
    first = batch_stored(user, PROBLEM_ROWS, saved_list=saved_list)
    batch_stored(user, PROBLEM_ROWS, saved_list=saved_list, parent=first, changes_count=0)
    return saved_list


# Page id -> how to reach it; all but the login page logged in as `user`.
PAGES: dict[str, Callable[..., None]] = {
    "login": login_page,
    "home": home_empty,
    "home-errors": home_with_errors,
    "history-empty": history_empty,
    "history": history_with_batches,
    "batch-running": batch_running,
    "batch-problems": batch_with_problems,
    "batch-cancelled": batch_cancelled,
    "batch-delete": batch_delete,
    "lists": lists,
    "list-new": list_new,
    "list-detail": list_detail,
    "list-edit": list_edit,
    "list-delete": list_delete,
    "page-history": page_history,
    "not-found": not_found,
    "server-error": server_error,
    "csrf-failure": csrf_failure,
    "api-tokens": api_tokens,
}
ANONYMOUS = {"login"}


# Each page's four scans share one load of it, in one test process (pytest-xdist).
SCANNED = [pytest.param(name, marks=pytest.mark.xdist_group(f"scan-{name}")) for name in PAGES]


@pytest.fixture(scope="module", params=SCANNED)
def tab(request, browser, browser_context_args, base_url, django_db_blocker) -> Iterator[Page]:
    """A tab on one page of the site, with axe-core in it, loaded once for the four scans of the
    page: a change of viewport or of colour scheme applies the CSS's media queries again to the
    same document. Each test empties the tables, so the page's data is gone after the first."""
    name = request.param
    username = f"scan-{name}"
    context = browser.new_context(**browser_context_args)
    page = context.new_page()
    page.set_default_timeout(EXPECT_TIMEOUT_MS)
    try:
        with django_db_blocker.unblock():
            user = get_user_model().objects.create_user(username=username)
            if name not in ANONYMOUS:
                session_open(page, user=user, base_url=base_url)
            PAGES[name](page, user)
        page.evaluate(AXE.axe_script)
        yield page
    finally:
        context.close()
        # Gone with the tables after the page's first test, but a visit that failed or skipped
        # ran no test: its rows must not be left to the next tests.
        with django_db_blocker.unblock():
            get_user_model().objects.filter(username=username).delete()


@pytest.fixture
def page(tab: Page) -> Page:
    """The tab scanned, in place of a new one: the suite's final screenshot is of the page."""
    return tab


def violations_found(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is, one line each."""
    results = page.evaluate(f"axe.run({json.dumps(AXE_OPTIONS)})")
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']}; "
        f"at {', '.join(' '.join(node['target']) for node in violation['nodes'])}"
        for violation in results["violations"]
        if violation["impact"] in FAILING_IMPACTS
    ]


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_page_has_no_serious_accessibility_violation(tab: Page, viewport, scheme):
    tab.set_viewport_size(VIEWPORTS[viewport])
    tab.emulate_media(color_scheme=scheme)

    violations = violations_found(tab)

    assert not violations, f"{tab.url} at {viewport} in {scheme}:\n" + "\n".join(violations)
