"""Watching a list in a real browser: save it, run it again after the wiki changed, read what
changed and the list's page; the README's screenshots of both."""

import os
import re

import pytest
from playwright.sync_api import expect

from checks.watch.notices import runs_notice
from tests.browser.test_pages import SCREENSHOTS, _is_png, expect_settled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIST_PAGES = ["Ocean", "Island", "Coral reef", "Missing lagoon", "Shark", "Atoll"]


def test_a_saved_list_run_again_shows_what_changed_on_the_wiki(logged_in_page, fake_wiki, tmp_path):
    # The README's pictures are refreshed only on request, so a test run leaves the tree clean.
    folder = SCREENSHOTS if os.environ.get("WIKICHECK_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page = logged_in_page
    page.get_by_role("link", name="Lists").click()
    page.get_by_role("link", name="New list").click()
    page.get_by_label("Name", exact=True).fill("Sea pages")
    page.locator("#id_urls").fill("\n".join(LIST_PAGES))
    page.get_by_role("button", name="Save the list").click()
    expect(page.get_by_text("its first run has started")).to_be_visible()

    page.locator("table.runs tbody a").first.click()
    expect_settled(page)
    fake_wiki.page_delete("Island")
    fake_wiki.page_create("Missing lagoon")
    page.get_by_role("link", name="Sea pages").first.click()
    page.get_by_role("button", name="Run now").click()
    expect_settled(page)
    page.reload()

    changes = page.locator("section#changes")
    expect(changes.get_by_role("heading", level=2)).to_have_text(re.compile(r"^2 changes since"))
    expect(changes.locator(".changes-now_missing")).to_contain_text("Island")
    expect(changes.locator(".changes-now_exists")).to_contain_text("Missing lagoon")
    page.screenshot(path=folder / "changes.png", full_page=True)
    runs_notice()  # the sweep's work, which tests leave to themselves
    page.get_by_role("link", name="Sea pages").first.click()
    expect(page.locator("svg.chart")).to_be_visible()
    expect(page.get_by_role("link", name="2 changes")).to_be_visible()
    page.screenshot(path=folder / "list.png", full_page=True)
    assert _is_png(folder / "changes.png")
    assert _is_png(folder / "list.png")
