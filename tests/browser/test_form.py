"""The submit and list forms in a real browser: the button that says what will be checked,
the focus on the error summary after a refused submission, and "More options"."""

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.markup, pytest.mark.django_db(transaction=True)]


def submit_button(page: Page):
    return page.locator("form button[data-label]")


def test_the_button_counts_the_lines_as_they_are_typed(logged_in_page):
    page = logged_in_page
    expect(submit_button(page)).to_have_text("Check pages")

    page.locator("#id_urls").fill("Ocean\nIsland\n\nShark")
    expect(submit_button(page)).to_have_text("Check 3 pages")
    page.locator("#id_urls").press("End")
    page.locator("#id_urls").press_sequentially("\nAtoll")

    expect(submit_button(page)).to_have_text("Check 4 pages")


def test_the_button_reads_check_pages_again_once_the_lines_are_cleared(logged_in_page):
    page = logged_in_page
    page.locator("#id_urls").fill("Ocean")
    expect(submit_button(page)).to_have_text("Check 1 page")

    page.locator("#id_urls").fill("")

    expect(submit_button(page)).to_have_text("Check pages")


def test_a_chosen_file_is_named_on_the_button(logged_in_page):
    page = logged_in_page

    page.locator("#id_file").set_input_files(
        files=[{"name": "names.txt", "mimeType": "text/plain", "buffer": b"Ocean\nIsland\n"}]
    )

    expect(submit_button(page)).to_have_text("Check the pages in names.txt")


def test_a_category_is_named_on_the_button(logged_in_page):
    page = logged_in_page

    page.locator("#id_category").fill("Sea")

    expect(submit_button(page)).to_have_text("Check the members of Sea")


def test_the_list_forms_button_says_how_many_pages_the_list_holds(logged_in_page):
    page = logged_in_page
    page.goto(reverse("list_create"))

    page.locator("#id_urls").fill("Ocean\nIsland")

    expect(submit_button(page)).to_have_text("Save the list (2 pages)")


def test_a_refused_submission_puts_the_focus_on_the_error_summary(logged_in_page):
    page = logged_in_page

    submit_button(page).click()

    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Enter at least one page URL or title, or upload a file.")


def test_a_link_of_the_error_summary_focuses_its_field(logged_in_page):
    page = logged_in_page
    page.get_by_text("More options").click()
    page.get_by_label("Timeout (seconds)").fill("-1")
    page.locator("#id_urls").fill("Ocean")
    submit_button(page).click()
    expect(page.locator("#error-summary")).to_be_focused()

    page.locator("#error-summary").get_by_role("link", name="Timeout (seconds)").click()

    expect(page.get_by_label("Timeout (seconds)")).to_be_focused()
    expect(submit_button(page)).to_have_text("Check 1 page")


def test_more_options_opens_on_a_click(logged_in_page):
    page = logged_in_page
    wiki = page.get_by_label("Wiki for bare titles")
    expect(wiki).to_be_hidden()

    page.get_by_text("More options").click()

    expect(wiki).to_be_visible()
    expect(page.get_by_role("group", name="How to check")).to_be_visible()
