"""The history page (/batches/) and the recent batches of the home page: each batch by its name,
with its mode, counts, duration, status and when it was created; searched by name too."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from checks.models import Batch, SavedList

WIKI = "https://en.wikipedia.org/wiki/"


def batch_made(owner, **fields) -> Batch:
    """A batch stored through the ORM, created at `created_at` when given."""
    created_at = fields.pop("created_at", None)
    batch = Batch.objects.create(owner=owner, wiki=WIKI, **{"total": 1, **fields})
    if created_at:
        Batch.objects.filter(pk=batch.pk).update(created_at=created_at)
        batch.refresh_from_db()
    return batch


def row_text(page: str, batch: Batch) -> str:
    """The text of the batch's row of the table, tags left out and spaces collapsed."""
    rows = re.findall(r"<tr>.*?</tr>", page, flags=re.DOTALL)
    (row,) = [row for row in rows if f'href="{batch.get_absolute_url()}"' in row]
    return " ".join(re.sub(r"<[^>]+>", " ", row).split())


def history_page(client, query: str = "") -> str:
    return client.get(reverse("batch_list") + query).content.decode()


# --- What each batch shows -----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_history_shows_a_batchs_name_status_counts_duration_and_mode(user_client, user):
    start = timezone.now() - timedelta(hours=1)
    batch = batch_made(
        user,
        name="Coral seas",
        mode="page",
        status="finished",
        total=170,
        done=170,
        exists_count=120,
        missing_count=38,
        unknown_count=4,
        error_count=6,
        invalid_count=2,
        created_at=start,
        finished_at=start + timedelta(minutes=3, seconds=10),
    )

    text = row_text(history_page(user_client), batch)

    assert text.startswith("Coral seas Finished 170 ")
    assert "120 exist 38 missing 12 need attention" in text
    assert "3 min 10 s" in text
    assert "Page requests" in text


@pytest.mark.django_db
def test_a_batch_without_a_name_shows_the_one_made_of_its_first_pages(user_client, user):
    batch = batch_made(user, entries_name="Ocean, Island, Shark and 1 more", total=4)

    page = history_page(user_client)

    assert f'<a href="{batch.get_absolute_url()}">Ocean, Island, Shark and 1 more</a>' in page


@pytest.mark.django_db
def test_a_running_batch_shows_its_pending_pages_and_how_long_it_has_run(user_client, user):
    batch = batch_made(
        user,
        status="running",
        total=10,
        done=3,
        exists_count=2,
        missing_count=1,
        created_at=timezone.now() - timedelta(seconds=42),
    )

    text = row_text(history_page(user_client), batch)

    assert "2 exist 1 missing 7 pending" in text
    assert re.search(r"running for 4\d s", text)
    assert "Running" in text and "API" in text


@pytest.mark.django_db
def test_a_cancelled_batch_shows_the_pages_it_left_unchecked(user_client, user):
    batch = batch_made(
        user, status="cancelled", total=151, done=74, exists_count=74, cancelled_count=77
    )

    text = row_text(history_page(user_client), batch)

    assert "74 exist 0 missing 77 not checked" in text
    assert "pending" not in text
    assert "Cancelled" in text


@pytest.mark.django_db
def test_one_page_of_each_count_reads_in_the_singular(user_client, user):
    batch = batch_made(
        user, status="finished", total=3, done=3, exists_count=1, missing_count=1, error_count=1
    )

    text = row_text(history_page(user_client), batch)

    assert "1 exists 1 missing 1 needs attention" in text


@pytest.mark.django_db
def test_the_time_created_reads_in_the_sites_time_zone_with_the_full_time_in_its_title(
    user_client, user, settings
):
    settings.TIME_ZONE = "Europe/Paris"
    batch = batch_made(user, created_at=datetime(2024, 12, 2, 13, 2, 5, tzinfo=UTC))

    page = history_page(user_client)

    assert (
        '<time datetime="2024-12-02T14:02:05+01:00" title="2024-12-02 14:02:05 CET">'
        "2 Dec 2024</time>"
    ) in page
    assert "2 Dec 2024" in row_text(page, batch)


@pytest.mark.django_db
def test_a_batch_created_today_reads_today_and_the_time(user_client, user):
    batch = batch_made(user)

    text = row_text(history_page(user_client), batch)

    assert f"today {timezone.localtime(batch.created_at):%H:%M}" in text


@pytest.mark.django_db
def test_the_home_pages_recent_batches_show_their_names(user_client, user):
    batch = batch_made(user, name="Coral seas")

    page = user_client.get(reverse("home")).content.decode()

    assert f'<a href="{batch.get_absolute_url()}">Coral seas</a>' in page


@pytest.mark.django_db
def test_every_cell_says_what_it_is_for_the_cards_of_a_phone(user_client, user):
    batch_made(user, name="Coral seas", total=2, done=2, exists_count=1, missing_count=1)

    page = history_page(user_client)

    cells = re.findall(r"<td\b[^>]*>", page)
    assert len(cells) == 6
    assert all("data-label=" in cell for cell in cells)


# --- Searching by name ---------------------------------------------------------------------------


def shown_ids(response) -> list:
    return [batch.pk for batch in response.context["page"].object_list]


@pytest.mark.django_db
def test_the_history_search_finds_a_batch_by_its_given_name_in_any_case(user_client, user):
    named = batch_made(user, name="Coral seas")
    batch_made(user, name="Deserts")

    response = user_client.get(reverse("batch_list") + "?q=CORAL")

    assert shown_ids(response) == [named.pk]


@pytest.mark.django_db
def test_the_history_search_finds_a_batch_by_the_name_made_of_its_pages(user_client, user):
    made = batch_made(user, entries_name="Ocean, Island, Shark and 1 more")
    batch_made(user, entries_name="Volcano")

    response = user_client.get(reverse("batch_list") + "?q=shark")

    assert shown_ids(response) == [made.pk]


@pytest.mark.django_db
def test_another_users_batches_never_appear_even_searched_by_their_name(
    user_client, user, other_user
):
    mine = batch_made(user, name="Coral seas")
    theirs = batch_made(other_user, name="Coral seas")

    listed = user_client.get(reverse("batch_list"))
    searched = user_client.get(reverse("batch_list") + "?q=coral")

    assert shown_ids(listed) == shown_ids(searched) == [mine.pk]
    assert str(theirs.pk) not in listed.content.decode() + searched.content.decode()


# --- Cost ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_history_takes_as_many_queries_for_25_batches_as_for_one(
    user_client, user, django_assert_max_num_queries
):
    saved_list = SavedList.objects.create(owner=user, name="Seas", entries="Ocean", wiki=WIKI)
    parent = batch_made(user, name="Seas")
    for n in range(25):
        named = {"name": f"Batch {n}"} if n % 2 else {"entries_name": f"Ocean {n} and 2 more"}
        batch_made(user, parent=parent, saved_list=saved_list, **named)

    # The session, the user, the count of batches and one page of them.
    with django_assert_max_num_queries(4):
        page = history_page(user_client)

    assert page.count('<th scope="row">') == 25


@pytest.mark.django_db
def test_a_finished_batch_with_problems_does_not_look_like_a_success(user_client, user):
    problems = batch_made(user, status="finished", done=1, missing_count=1)
    clean = batch_made(user, status="finished", done=1, exists_count=1)

    page = history_page(user_client)

    rows = re.findall(r"<tr>.*?</tr>", page, flags=re.DOTALL)
    (problems_row,) = [row for row in rows if problems.get_absolute_url() in row]
    (clean_row,) = [row for row in rows if clean.get_absolute_url() in row]
    assert "badge-finished badge-problems" in problems_row
    assert "badge-problems" not in clean_row
