"""On a phone (390 by 844 px): a finished batch with problems and the history show everything a
desktop shows, within the screen's width, with no sideways scrolling."""

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from checks.models import Batch
from tests.browser.conftest import Row, batch_stored
from tests.browser.test_pages import batch_submit, expect_settled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
# Result title -> what a user must read about it: status badges, and the reason (the error's
# text, where the redirect leads) when there is one.
EXPECTED_RESULTS = {
    "Ocean": (["Exists"], None),
    "Missing reef": (["Does not exist"], None),
    "Redirect to Island": (["Exists"], "Redirects to Island"),
    "Mercury": (["Exists", "Disambiguation"], None),
    "Fault:500": (["Unknown"], "HTTP 500 Internal Server Error"),
    "Fault:redirect-away": (["Error"], "RedirectBlocked: redirect to evil.example"),
}
# A count is a number standing alone: not a part of a date, a time or a duration, nor a number of
# seconds, minutes... (a running batch's grows between two readings).
COUNT = re.compile(
    r"(?<![\w:.\-])\d+(?![\w:.\-])(?!\s*(?:ms|s|min|h|seconds?|minutes?|hours?|days?)\b)"
)


@pytest.fixture
def problems_page(logged_in_page: Page, fake_wiki, settings) -> Page:
    """A phone on the page of a finished batch, checked by the engine against the fake wiki:
    titles through its API (a missing page, a redirect, a disambiguation page), and two faults
    (fakewiki/faults.py) through page requests, on the same wiki under another host name that
    has no API configured."""
    faulty = f"localhost:{fake_wiki.port}"
    settings.WIKICHECK_API_PATHS = [(f"127.0.0.1:{fake_wiki.port}", "/w/api.php")]
    settings.WIKICHECK_ALLOWED_HOSTS = [*settings.WIKICHECK_ALLOWED_HOSTS, faulty]
    page = logged_in_page
    page.set_viewport_size(PHONE)
    entries = [
        title if not title.startswith("Fault:") else f"http://{faulty}/wiki/{title}"
        for title in EXPECTED_RESULTS
    ]
    batch_submit(page, entries)
    expect_settled(page)
    # The page as it is opened later, not as its polls built it.
    page.reload()
    return page


def result_of(page: Page, title: str) -> Locator:
    """The row (or card) of the result titled `title`."""
    return page.locator("#results-body > *").filter(
        has=page.get_by_role("link", name=title, exact=True)
    )


def unreadable(locator: Locator, what: str) -> list[str]:
    """Why `what` cannot be read on the phone's screen: hidden, or past its width."""
    if not locator.is_visible():
        return [f"{what} is not visible"]
    box = locator.bounding_box()
    if box["x"] < 0 or box["x"] + box["width"] > PHONE["width"]:
        return [f"{what} is outside the screen's {PHONE['width']} px: {box}"]
    return []


def page_width(page: Page) -> int:
    """How wide the page is: wider than the screen, it scrolls sideways."""
    return page.evaluate("document.documentElement.scrollWidth")


# --- A finished batch with problems ----------------------------------------------------------


def test_every_result_shows_its_title_status_and_reason_on_a_phone(problems_page):
    page = problems_page

    problems = []
    for title, (statuses, reason) in EXPECTED_RESULTS.items():
        result = result_of(page, title)
        problems += unreadable(result.get_by_role("link", name=title, exact=True), title)
        for status in statuses:
            badge = result.locator(".badge").filter(has_text=status)
            problems += unreadable(badge, f"{title}: status {status!r}")
        if reason:
            problems += unreadable(result.get_by_text(reason), f"{title}: reason {reason!r}")

    assert not problems, "\n".join(problems)


def test_the_batch_page_does_not_scroll_sideways_on_a_phone(problems_page):
    page = problems_page

    width = page_width(page)

    assert width <= PHONE["width"]


# --- The history ---------------------------------------------------------------------------


def rows(status: str, count: int) -> list[Row]:
    return [Row(f"{status.capitalize()} page {n}", status) for n in range(count)]


@pytest.fixture
def history(user) -> list[Batch]:
    """Three batches in the history, finished, cancelled and running, each count of a batch
    distinct from its others, so that the one hidden on a phone is missed."""
    return [
        batch_stored(
            user,
            [*rows("exists", 11), *rows("missing", 7), *rows("unknown", 3), *rows("error", 1)],
            name="Sea pages, checked weekly",
        ),
        batch_stored(
            user,
            [*rows("exists", 4), *rows("missing", 2), *rows("cancelled", 9)],
            status="cancelled",
        ),
        batch_stored(
            user, [*rows("exists", 5), *rows("missing", 3), *rows("pending", 8)], status="running"
        ),
    ]


def batch_row(page: Page, batch: Batch) -> Locator:
    """The history's row (or card) of `batch`."""
    return page.locator("tr").filter(has=page.locator(f'a[href="{batch.get_absolute_url()}"]'))


def counts_shown(row: Locator) -> list[str]:
    """The counts a row shows, in order (its innerText leaves out what is hidden)."""
    return COUNT.findall(row.inner_text())


def test_the_history_shows_each_batch_s_name_counts_and_status_on_a_phone(logged_in_page, history):
    page = logged_in_page
    page.set_viewport_size(DESKTOP)
    page.get_by_role("link", name="History").click()
    on_desktop = {batch.pk: counts_shown(batch_row(page, batch)) for batch in history}

    page.set_viewport_size(PHONE)

    problems = []
    for batch in history:
        row, name = batch_row(page, batch), batch.display_name
        problems += unreadable(row, f"{name}: its row")
        problems += unreadable(row.get_by_text(name, exact=True), f"{name}: its name")
        status = batch.get_status_display()
        problems += unreadable(row.get_by_text(status, exact=True), f"{name}: status {status!r}")
        shown = counts_shown(row)
        if shown != on_desktop[batch.pk]:
            problems.append(
                f"{name}: counts {shown} on a phone, {on_desktop[batch.pk]} on a desktop"
            )
        for count in (batch.total, batch.exists_count, batch.missing_count):
            if str(count) not in shown:
                problems.append(f"{name}: the count {count} is not shown")

    assert not problems, "\n".join(problems)


def test_the_history_does_not_scroll_sideways_on_a_phone(logged_in_page, history):
    page = logged_in_page
    page.set_viewport_size(PHONE)

    page.get_by_role("link", name="History").click()

    expect(batch_row(page, history[0])).to_be_visible()
    assert page_width(page) <= PHONE["width"]
