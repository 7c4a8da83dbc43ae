"""The batch page with a keyboard and its actions in a real browser: focus survives the polls,
the missing titles are copied, only they are downloaded, and a notification is asked for only
after a click."""

import csv
import re

import pytest
from playwright.sync_api import Page, Response, expect

from tests.browser.conftest import Row, batch_stored, session_open
from tests.browser.test_pages import batch_submit, expect_settled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PROBLEMS = [
    Row("Ocean", "exists", 200),
    Row("Missing reef", "missing", 404),
    Row("Island", "exists", 200),
    Row("Missing atoll", "missing", 404),
    Row("Shark", "error", error="Read timed out after 5 s"),
]
# Records what the page asks of the Notification API, granting permission when asked.
FAKE_NOTIFICATION = """
window.__asked = 0;
window.__shown = [];
class FakeNotification {
  constructor(title, options) { window.__shown.push({title, body: options && options.body}); }
  static requestPermission() {
    window.__asked += 1;
    FakeNotification.permission = "granted";
    return Promise.resolve("granted");
  }
}
FakeNotification.permission = "default";
window.Notification = FakeNotification;
"""


def swapped_poll(response: Response) -> bool:
    """An answer to a poll that htmx swaps in (not a 204 for a poll sooner than the interval)."""
    return "/progress/" in response.url and response.status == 200


def test_focus_on_cancel_survives_the_polls_and_enter_cancels(logged_in_page, fake_wiki):
    page = logged_in_page
    fake_wiki.latency_ms = 500
    batch_submit(page, [f"Slow page {n}" for n in range(200)])
    page.get_by_role("button", name="Cancel batch").focus()

    # The fourth answer comes a poll interval after the third was swapped in.
    for _ in range(4):
        page.wait_for_event("response", predicate=swapped_poll)
    focused = page.evaluate("document.activeElement.textContent")
    page.keyboard.press("Enter")

    assert focused == "Cancel batch"
    expect(page.locator("section#progress .status-line .badge")).to_have_text("Cancelled")


def test_the_missing_titles_are_copied_to_the_clipboard(page: Page, user, base_url):
    batch = batch_stored(user, PROBLEMS)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    session_open(page, user=user, base_url=base_url).goto(batch.get_absolute_url())

    page.get_by_role("link", name="Copy the missing titles").click()

    expect(page.locator("#attention .copy-status")).to_have_text(
        "Copied 2 titles to the clipboard."
    )
    assert page.evaluate("navigator.clipboard.readText()") == "Missing reef\nMissing atoll\n"


def test_only_the_missing_pages_are_downloaded(page: Page, user, base_url, tmp_path):
    batch = batch_stored(user, PROBLEMS)
    session_open(page, user=user, base_url=base_url).goto(batch.get_absolute_url())

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download only the missing (CSV)").click()
    path = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(path)

    rows = list(csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines()))
    assert [(row["title"], row["status"]) for row in rows] == [
        ("Missing reef", "missing"),
        ("Missing atoll", "missing"),
    ]


def test_a_notification_is_asked_for_only_after_a_click_and_shown_at_the_end(
    logged_in_page, fake_wiki
):
    page = logged_in_page
    page.add_init_script(FAKE_NOTIFICATION)
    fake_wiki.latency_ms = 300
    # 19 rounds of 8 workers: seconds of polls before it ends.
    batch_submit(page, ["Ocean", "Missing reef", *(f"Page {n}" for n in range(150))])
    page.wait_for_event("response", predicate=swapped_poll)
    asked_before = page.evaluate("window.__asked")

    page.get_by_role("button", name="Notify me when it ends").click()
    expect_settled(page)

    assert asked_before == 0
    assert page.evaluate("window.__asked") == 1
    expect(page.get_by_role("button", name="Notify me when it ends")).to_have_count(0)
    shown = page.evaluate("window.__shown")
    assert len(shown) == 1
    assert re.search(r"1 does not exist", shown[0]["body"])
