"""The batch page read at a glance: its bar, what needs attention, names, search, and what a
poll swaps."""

import re

import pytest
from django.urls import reverse

from checks.batches import batch_create
from checks.intake.parsing import Entry
from checks.models import NAME_LENGTH, Batch
from tests.support.batches import batch_of

pytestmark = pytest.mark.django_db


def page_of(client, batch: Batch, query: str = "") -> str:
    return client.get(batch.get_absolute_url() + query).content.decode()


def poll_of(client, batch: Batch, query: str = "") -> str:
    url = reverse("batch_progress", args=[batch.pk]) + query
    return client.get(url, headers={"HX-Request": "true"}).content.decode()


def section(html: str, element_id: str) -> str:
    """The element with `element_id`, up to its closing tag (sections and divs are not nested
    in one another with the same tag here)."""
    match = re.search(rf'<(\w+) id="{element_id}"[^>]*>.*?</\1>', html, re.DOTALL)
    return match.group(0) if match else ""


def segments(html: str) -> dict[str, str]:
    return dict(re.findall(r'<rect class="bar-(\w+)" x="[\d.]+%" y="0" width="([^"]+)"', html))


# --- The bar and the callout ----------------------------------------------------------------------


def test_the_bar_is_split_by_what_became_of_the_pages(user_client, user):
    batch = batch_of(user, statuses=["exists", "missing", "missing", "error", "pending"])

    html = page_of(user_client, batch)

    assert segments(html) == {
        "exists": "20.0%",
        "missing": "40.0%",
        "error": "20.0%",
        "pending": "20.0%",
    }
    legend = section(html, "progress")
    assert 'Do not exist <span data-count="missing">2</span>' in legend


def test_a_finished_batch_with_problems_does_not_look_like_a_success(user_client, user):
    problems = batch_of(user, statuses=["exists", "missing", "error"], status="finished")
    clean = batch_of(user, statuses=["exists", "exists"], status="finished")

    problems_html = page_of(user_client, problems)
    clean_html = page_of(user_client, clean)

    assert "badge-finished badge-problems" in problems_html
    assert "badge-problems" not in clean_html


def test_the_callout_says_what_needs_attention_with_its_actions(user_client, user):
    batch = batch_of(
        user, statuses=["exists", "missing", "missing", "error", "unknown"], status="finished"
    )

    callout = section(page_of(user_client, batch), "attention")

    assert "2 do not exist · 2 need attention" in callout
    assert f'href="{reverse("batch_titles", args=[batch.pk])}?status=missing"' in callout
    assert f'href="{reverse("batch_export_csv", args=[batch.pk])}?status=missing"' in callout
    assert "Retry the failed (2)" in callout


def test_a_batch_where_every_page_exists_has_no_callout(user_client, user):
    batch = batch_of(user, statuses=["exists", "exists"], status="finished")

    callout = section(page_of(user_client, batch), "attention")

    assert "<section" not in callout


def test_a_running_batch_has_no_callout_yet(user_client, user):
    batch = batch_of(user, statuses=["missing", "pending"])

    callout = section(page_of(user_client, batch), "attention")

    assert "<section" not in callout


# --- What a poll swaps ----------------------------------------------------------------------------


def test_a_running_batchs_poll_swaps_nothing_a_user_can_focus(user_client, user):
    batch = batch_of(user, statuses=["exists", "missing", "pending"])

    fragment = poll_of(user_client, batch)

    assert 'id="progress"' in fragment
    for focusable in ("<form", "<button", "<input", "<select", 'href="?status'):
        assert focusable not in fragment
    assert 'id="actions"' not in fragment


def test_the_poll_that_sees_the_end_brings_the_actions_and_the_callout(user_client, user):
    batch = batch_of(user, statuses=["exists", "missing"], status="finished")

    fragment = poll_of(user_client, batch)

    assert '<div id="actions" class="actions" hx-swap-oob="true">' in fragment
    assert '<div id="attention" hx-swap-oob="true">' in fragment
    assert "Cancel batch" not in fragment
    assert "Re-run all" in fragment


def test_the_pages_links_are_swapped_only_when_their_number_changed(user_client, user):
    batch = batch_of(user, statuses=["exists"] * 150 + ["pending"])

    same = poll_of(user_client, batch, "?pages=2")
    grown = poll_of(user_client, batch, "?pages=1")

    assert 'id="pages-top"' not in same
    assert '<div id="pages-top" hx-swap-oob="true">' in grown
    assert "Results page 1 of 2" in grown


def test_the_live_region_is_told_in_quarters(user_client, user):
    batch = batch_of(user, statuses=["exists"] * 3 + ["pending"] * 7)

    html = page_of(user_client, batch)

    assert re.search(r'<p id="live-status"[^>]*>Checking: 25% done</p>', html)
    assert 'data-live="Checking: 25% done"' in html


# --- Copying the missing titles -------------------------------------------------------------------


def test_the_missing_titles_come_one_per_line_in_submission_order(user_client, user):
    batch = batch_of(user, statuses=["missing", "exists", "missing"], status="finished")

    response = user_client.get(reverse("batch_titles", args=[batch.pk]) + "?status=missing")

    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert b"".join(response.streaming_content).decode() == "T0\nT2\n"


def test_titles_of_an_unknown_status_are_refused_with_the_list(user_client, user):
    batch = batch_of(user, statuses=["missing"], status="finished")

    response = user_client.get(reverse("batch_titles", args=[batch.pk]) + "?status=gone")

    assert response.status_code == 400
    assert "missing" in response.content.decode()


def test_another_users_titles_are_not_found(client, user, other_user):
    batch = batch_of(user, statuses=["missing"], status="finished")
    client.force_login(other_user)

    response = client.get(reverse("batch_titles", args=[batch.pk]))

    assert response.status_code == 404


# --- Names ----------------------------------------------------------------------------------------


def test_a_batch_is_named_after_its_first_pages_until_renamed(user_client, user, settings):
    entries = [Entry(url=f"{settings.WIKICHECK_DEFAULT_WIKI}{t}", title=t) for t in "ABCD"]
    batch = batch_create(owner=user, entries=entries, wiki=settings.WIKICHECK_DEFAULT_WIKI)
    batch_of_rename = reverse("batch_rename", args=[batch.pk])

    before = page_of(user_client, batch)
    user_client.post(batch_of_rename, {"name": "  Red links\tof May "})
    after = page_of(user_client, batch)

    assert "<h1>A, B, C and 1 more</h1>" in before
    assert "<h1>Red links of May</h1>" in after
    assert "<title>" in after and "· Red links of May · wikicheck</title>" in after


def test_an_empty_name_gives_the_batch_its_made_name_back(user_client, user):
    batch = batch_of(user, statuses=["exists"], name="Mine")

    user_client.post(reverse("batch_rename", args=[batch.pk]), {"name": ""})

    batch.refresh_from_db()
    assert batch.name == ""
    assert "<h1>Batch of 1 pages</h1>" in page_of(user_client, batch)


def test_a_name_too_long_is_refused_and_the_old_one_kept(user_client, user):
    batch = batch_of(user, statuses=["exists"], name="Mine")

    response = user_client.post(
        reverse("batch_rename", args=[batch.pk]), {"name": "x" * (NAME_LENGTH + 1)}, follow=True
    )

    batch.refresh_from_db()
    assert batch.name == "Mine"
    assert f"at most {NAME_LENGTH} characters" in response.content.decode()


def test_another_users_batch_cannot_be_renamed(client, user, other_user):
    batch = batch_of(user, statuses=["exists"], name="Mine")
    client.force_login(other_user)

    response = client.post(reverse("batch_rename", args=[batch.pk]), {"name": "Theirs"})

    batch.refresh_from_db()
    assert response.status_code == 404
    assert batch.name == "Mine"


# --- Searching and reading the results ------------------------------------------------------------


def shown_titles(html: str) -> list[str]:
    return re.findall(r'<td class="page">(?:<a [^>]*>)?([^<]+)', html)


def test_the_results_can_be_searched_by_title(user_client, user):
    batch = batch_of(user, statuses=["exists"] * 12, status="finished")

    html = page_of(user_client, batch, "?q=t1")

    assert sorted(shown_titles(html)) == ["T1", "T10", "T11"]


def test_the_results_can_be_searched_by_url_within_a_status(user_client, user):
    batch = batch_of(user, statuses=["exists", "missing", "missing"], status="finished")

    html = page_of(user_client, batch, "?status=missing&q=wiki/T2")

    assert shown_titles(html) == ["T2"]


def test_a_search_that_finds_nothing_says_so(user_client, user):
    batch = batch_of(user, statuses=["exists"], status="finished")

    html = page_of(user_client, batch, "?q=Zebra")

    assert shown_titles(html) == []
    assert "No result\N{RIGHT SINGLE QUOTATION MARK}s title or URL contains “Zebra”." in html


def test_the_first_column_is_the_input_line(user_client, user, settings):
    wiki = settings.WIKICHECK_DEFAULT_WIKI
    entries = [
        Entry(url=f"{wiki}Ocean", title="Ocean", lines=(3, 7)),
        Entry(url=f"{wiki}Island", title="Island", lines=(5,)),
    ]
    batch = batch_create(owner=user, entries=entries, wiki=wiki)

    html = page_of(user_client, batch, "?order=submitted")

    lines = re.findall(r'<td class="line" data-label="Line">(\d+)</td>', html)
    assert lines == ["3", "5"]
