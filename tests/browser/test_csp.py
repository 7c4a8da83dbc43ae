"""Under the Content-Security-Policy, no page of the site or of the admin logs a violation."""

import re
import uuid

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.browser.conftest import log_in
from tests.browser.test_pages import batch_submit, expect_settled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Chromium reports a violation on the console ("Refused to … because it violates the following
# Content Security Policy directive …"); the event below reports it again, from the page.
VIOLATION_EVENT = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI}`);
});
"""


def violations_recorded(page: Page) -> list[str]:
    """A list that fills with every CSP violation any page of this tab reports from now on."""
    violations: list[str] = []
    page.add_init_script(VIOLATION_EVENT)

    def record(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "CSP violation" in message.text:
            violations.append(f"{page.url}: {message.text}")

    page.on("console", record)
    return violations


def test_no_page_logs_a_csp_violation(page: Page, django_user_model, fake_wiki):
    violations = violations_recorded(page)
    django_user_model.objects.create_superuser(
        username="carol", password="wikicheck-pass-3", email="carol@example.org"
    )
    fake_wiki.latency_ms = 200

    log_in(page, username="carol", password="wikicheck-pass-3")
    batch_path = batch_submit(page, [f"Page {n}" for n in range(24)])
    with page.expect_response(lambda response: "/progress/" in response.url):
        expect(page.locator("section#progress")).to_have_attribute("aria-busy", "true")
    expect_settled(page)
    finished = page.goto(batch_path)
    page.goto("/batches/?q=Page")
    expect(page.locator(f'a[href="{batch_path}"]')).to_be_visible()
    page.goto(f"{batch_path}delete/")
    expect(page.get_by_role("button", name="Delete batch")).to_be_visible()
    page.goto(f"/batches/{uuid.uuid4()}/")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    page.goto("/admin/checks/batch/")
    page.get_by_role("link", name=batch_path.strip("/").split("/")[-1]).click()
    expect(page).to_have_url(re.compile(r"/admin/checks/batch/[0-9a-f-]{36}/change/$"))

    assert "default-src 'self'" in finished.headers["content-security-policy"]
    assert violations == []
