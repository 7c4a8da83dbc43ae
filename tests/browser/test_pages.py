"""The pages in a real browser: log in, submit, watch progress, history, export, cancel, admin."""

import csv
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, Request, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.support import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SEED_PAGES = ["Ocean", "Island", "this_page_does_not_exist", "Shark"]
# A batch with something of everything to picture: missing pages, a failure, a redirect and a
# disambiguation page (fakewiki/README.md).
PROBLEM_PAGES = [
    "Ocean",
    "Coral reef",
    "Missing lagoon",
    "Redirect to Island",
    "Mercury",
    "Missing atoll",
    "Fault:500",
    "Shark",
    "Missing seamount",
]
# A batch page that still polls asks again every second; this long without a poll means done.
QUIET_MS = 3_000
SCREENSHOTS = ROOT / "docs" / "screenshots"


# --- Helpers -------------------------------------------------------------------------------------


def batch_submit(page: Page, titles: list[str]) -> str:
    """Submit `titles` through the home form; return the path of the batch page it lands on."""
    page.locator("#id_urls").fill("\n".join(titles))
    page.get_by_role("button", name=re.compile(r"^Check \d+ pages?$")).click()
    expect(page).to_have_url(re.compile(r"/batches/[0-9a-f-]{36}/$"))
    return re.sub(r"^https?://[^/]+", "", page.url)


def progress_requests(page: Page) -> list[Request]:
    """A list that fills with every poll of the progress fragment the page sends from now on."""
    polls: list[Request] = []
    page.on("request", lambda request: _is_poll(request) and polls.append(request))
    return polls


def expect_settled(page: Page) -> None:
    """Wait for the progress section that no longer polls: the batch has ended on this page."""
    expect(page.locator("section#progress")).to_have_attribute("aria-busy", "false")
    expect(page.locator("section#progress")).not_to_have_attribute("hx-get", re.compile(".*"))


def assert_polling_stopped(page: Page) -> None:
    try:
        request = page.wait_for_event("request", predicate=_is_poll, timeout=QUIET_MS)
    except PlaywrightTimeoutError:
        return
    pytest.fail(f"the page polled again after the batch ended: {request.url}")


def _is_poll(request: Request) -> bool:
    return "/progress/" in request.url


# --- Logging in and checking pages ---------------------------------------------------------------


def test_logging_in_through_the_form_lands_on_the_home_page(logged_in_page, base_url):
    page = logged_in_page

    expect(page).to_have_url(f"{base_url}/")
    expect(page.get_by_role("button", name=re.compile("Log out alice"))).to_be_visible()


def test_a_batch_shows_live_progress_to_100_percent_then_stops_polling(logged_in_page, fake_wiki):
    page = logged_in_page
    fake_wiki.latency_ms = 300
    polls = progress_requests(page)

    batch_submit(page, SEED_PAGES)
    expect_settled(page)

    progress = page.locator("section#progress progress")
    expect(progress).to_have_attribute("max", "4")
    expect(progress).to_have_attribute("value", "4")
    expect(page.locator("span[data-count=exists]")).to_have_text("3")
    expect(page.locator("span[data-count=missing]")).to_have_text("1")
    expect(page.locator("#results-body tr")).to_have_count(4)
    expect(page.locator("#results-body .badge-exists")).to_have_count(3)
    expect(page.locator("#results-body .badge-missing")).to_have_count(1)
    assert polls, "the page never polled while the batch ran"
    # Loaded while the batch ran, the tab title is brought up to date by the polls.
    expect(page).to_have_title(
        "Done · Ocean, Island, this page does not exist and 1 more · wikicheck"
    )
    assert_polling_stopped(page)


def test_history_lists_the_batch_and_finds_it_by_search(logged_in_page):
    page = logged_in_page
    batch_path = batch_submit(page, SEED_PAGES)
    expect_settled(page)

    page.get_by_role("link", name="History").click()
    expect(page.locator(f'a[href="{batch_path}"]')).to_be_visible()
    page.locator('input[name="q"]').fill("Shark")
    page.locator('input[name="q"]').press("Enter")

    expect(page).to_have_url(re.compile(r"[?&]q=Shark"))
    expect(page.locator(f'a[href="{batch_path}"]')).to_be_visible()
    page.locator('input[name="q"]').fill("Volcano")
    page.locator('input[name="q"]').press("Enter")
    expect(page.locator(f'a[href="{batch_path}"]')).to_have_count(0)


def test_the_csv_link_downloads_every_result_with_a_byte_order_mark(logged_in_page, tmp_path):
    page = logged_in_page
    batch_submit(page, SEED_PAGES)
    expect_settled(page)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    path = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(path)

    content = path.read_bytes()
    assert path.suffix == ".csv"
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(content.decode("utf-8-sig").splitlines()))
    assert rows[0][:4] == ["position", "url", "title", "status"]
    assert [row[3] for row in rows[1:]] == ["exists", "exists", "missing", "exists"]


def test_cancelling_a_slow_batch_leaves_pages_not_checked(logged_in_page, fake_wiki):
    page = logged_in_page
    fake_wiki.latency_ms = 500
    # 25 rounds of 8 workers: the cancel lands long before the end, however busy the machine.
    batch_submit(page, [f"Slow page {n}" for n in range(200)])
    expect(page.locator("#results-body tr").first).to_be_visible()

    page.get_by_role("button", name="Cancel batch").click()

    expect(page.locator("section#progress .status-line .badge")).to_have_text("Cancelled")
    expect(page.locator("span[data-count=cancelled]")).to_have_text(re.compile(r"^[1-9]\d*$"))
    expect_settled(page)
    assert_polling_stopped(page)


def test_staff_see_the_batch_in_the_admin_changelist(staff_page):
    page = staff_page
    batch_path = batch_submit(page, SEED_PAGES)
    batch_id = batch_path.strip("/").split("/")[-1]
    expect_settled(page)

    page.get_by_role("link", name="Admin").click()
    page.get_by_role("link", name="Batches", exact=True).click()

    expect(page.get_by_role("link", name=batch_id)).to_be_visible()
    expect(page.locator("#result_list tbody tr")).to_have_count(1)


# --- Screenshots for the README ------------------------------------------------------------------


def test_screenshots_of_the_pages(logged_in_page, fake_wiki, tmp_path):
    # The README's pictures are refreshed only on request, so a test run leaves the tree clean.
    folder = SCREENSHOTS if os.environ.get("WIKICHECK_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page = logged_in_page
    fake_wiki.latency_ms = 500
    shots = ("submit", "running", "batch", "batch-phone", "history", "history-phone")

    # Page by page, 8 at a time: seconds of a running batch to picture.
    page.locator("#id_urls").fill("\n".join(f"Atoll {n}" for n in range(48)))
    page.get_by_text("More options").click()
    page.locator("input[name=mode][value=page]").check()
    page.get_by_role("button", name=re.compile(r"^Check \d+ pages?$")).click()
    page.wait_for_event("response", predicate=lambda r: _is_poll(r.request) and r.status == 200)
    page.screenshot(path=folder / "running.png", full_page=True)
    page.get_by_role("button", name="Cancel batch").click()
    fake_wiki.latency_ms = 100
    page.get_by_role("link", name="New check").click()
    page.locator("#id_urls").fill("\n".join(PROBLEM_PAGES))
    page.locator("#id_name").fill("Reef articles to write")
    page.screenshot(path=folder / "submit.png", full_page=True)
    page.get_by_role("button", name=re.compile(r"^Check \d+ pages?$")).click()
    expect_settled(page)
    page.screenshot(path=folder / "batch.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=folder / "batch-phone.png", full_page=True)
    page.get_by_role("link", name="History").click()
    page.screenshot(path=folder / "history-phone.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.screenshot(path=folder / "history.png", full_page=True)

    assert all(_is_png(folder / f"{shot}.png") for shot in shots)
    expect(page.get_by_role("link", name="Reef articles to write")).to_be_visible()


def _is_png(path: Path) -> bool:
    return path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_the_pages_follow_the_system_s_dark_mode(logged_in_page):
    page = logged_in_page
    background = "getComputedStyle(document.documentElement).backgroundColor"

    page.emulate_media(color_scheme="dark")
    dark = page.evaluate(background)
    page.emulate_media(color_scheme="light")
    light = page.evaluate(background)

    assert (dark, light) == ("rgb(13, 17, 23)", "rgb(246, 248, 250)")
