"""The saved lists' pages (checks/web/list_views.py): saving, running, editing and deleting a
list, its page with its runs and chart, and the batch page's ways to and from a list."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from checks.models import COUNTER_FIELDS, Batch, Delivery, Result, SavedList
from checks.watch.lists import list_save
from tests.support.batches import batch_settled

OCEAN_PAGES = "Ocean\nIsland\nMissing reef"


def list_data(fake_wiki, **fields) -> dict:
    """The list form's fields for a daily list of three pages of the fake wiki."""
    return {
        "name": "Ocean pages",
        "urls": OCEAN_PAGES,
        "wiki": fake_wiki.wiki_url,
        "mode": "api",
        "schedule": "daily",
        "webhook": "",
        **fields,
    }


def run_of(saved_list: SavedList, *, days_ago: int, status="finished", **fields) -> Batch:
    """A run of `saved_list` created `days_ago` days ago, with these counters, all checked."""
    checked = sum(fields.get(counter, 0) for counter in COUNTER_FIELDS.values())
    run = Batch.objects.create(
        owner=saved_list.owner,
        wiki=saved_list.wiki,
        total=checked,
        done=checked,
        status=status,
        saved_list=saved_list,
        **fields,
    )
    Batch.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(days=days_ago))
    run.refresh_from_db()
    return run


@pytest.fixture
def ocean_batch(user) -> Batch:
    """A finished batch of two pages, not a run of any list."""
    wiki = "https://en.wikipedia.org/wiki/"
    batch = Batch.objects.create(
        owner=user, wiki=wiki, total=2, done=2, exists_count=2, status="finished"
    )
    Result.objects.bulk_create(
        Result(
            batch=batch,
            position=n,
            completion_order=n + 1,
            url=wiki + title,
            title=title,
            entry=title,
            status="exists",
        )
        for n, title in enumerate(["Ocean", "Island"])
    )
    return batch


# --- Access ------------------------------------------------------------------------------------

# Each route of a list, with each method it answers.
LIST_ROUTES = [
    ("list_detail", "get"),
    ("list_edit", "get"),
    ("list_edit", "post"),
    ("list_delete", "get"),
    ("list_delete", "post"),
    ("list_run", "post"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["list_list", "list_create", "page_history"])
def test_list_pages_redirect_anonymous_users_to_login(client, name):
    response = client.get(reverse(name))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "method"), LIST_ROUTES)
def test_a_lists_routes_redirect_anonymous_users_to_login(client, ocean_list, name, method):
    response = getattr(client, method)(reverse(name, args=[ocean_list.pk]))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "method"), LIST_ROUTES)
def test_another_users_list_is_not_found_and_left_alone(
    client, other_user, ocean_list, fake_wiki, name, method
):
    client.force_login(other_user)
    data = list_data(fake_wiki, name="Taken over", runs="delete") if method == "post" else None

    response = getattr(client, method)(reverse(name, args=[ocean_list.pk]), data)

    assert response.status_code == 404
    assert SavedList.objects.get().name == "Ocean pages"
    assert not Batch.objects.exists()


@pytest.mark.django_db
def test_another_users_batch_cannot_be_saved_as_a_list(client, other_user, ocean_batch):
    client.force_login(other_user)

    response = client.get(reverse("list_create") + f"?batch={ocean_batch.pk}")

    assert response.status_code == 404


@pytest.mark.django_db
def test_a_batch_that_is_no_uuid_is_not_found(user_client):
    response = user_client.get(reverse("list_create") + "?batch=42")

    assert response.status_code == 404


@pytest.mark.django_db
def test_the_lists_page_shows_only_the_users_lists(client, other_user, ocean_list):
    client.force_login(other_user)

    page = client.get(reverse("list_list")).content.decode()

    assert "Ocean pages" not in page
    assert "No lists yet" in page


# --- Saving ------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_saving_a_list_runs_it_once_and_opens_its_page(user_client, user, fake_wiki):
    response = user_client.post(reverse("list_create"), list_data(fake_wiki))

    saved_list = SavedList.objects.get()
    run = batch_settled(saved_list.runs.get())
    assert response.url == saved_list.get_absolute_url()
    assert (saved_list.owner, saved_list.entries, saved_list.schedule) == (
        user,
        OCEAN_PAGES,
        "daily",
    )
    assert (run.exists_count, run.missing_count) == (2, 1)
    page = user_client.get(response.url).content.decode()
    assert f'href="{run.get_absolute_url()}"' in page
    assert "3 entries" in page


@pytest.mark.django_db
def test_saving_a_category_list_keeps_the_category_and_runs_it(user_client, fake_wiki, settings):
    settings.WIKICHECK_API_PATHS = [(f"127.0.0.1:{fake_wiki.port}", "/w/api.php")]

    response = user_client.post(
        reverse("list_create"), list_data(fake_wiki, urls="", category="Members 20"), follow=True
    )

    saved_list = SavedList.objects.get()
    assert (saved_list.source_kind, saved_list.source, saved_list.entries) == (
        "category",
        "Members 20",
        "",
    )
    assert saved_list.runs.get().total == 20
    assert "the members of the category <q>Members 20</q>" in response.content.decode()


@pytest.mark.django_db
def test_a_list_whose_first_run_is_refused_is_saved_and_says_why(
    user_client, user, fake_wiki, ocean_batch, settings
):
    settings.WIKICHECK_USER_BATCHES_PER_HOUR = 1

    response = user_client.post(reverse("list_create"), list_data(fake_wiki), follow=True)

    saved_list = SavedList.objects.get()
    assert not saved_list.runs.exists()
    assert "but it was not run" in response.content.decode()


@pytest.mark.django_db
def test_a_name_the_user_has_already_given_a_list_is_refused(user_client, fake_wiki, ocean_list):
    response = user_client.post(reverse("list_create"), list_data(fake_wiki))

    assert response.status_code == 200
    assert "You already have a list named “Ocean pages”" in response.content.decode()
    assert SavedList.objects.count() == 1


@pytest.mark.django_db
def test_the_form_of_a_batch_saved_as_a_list_holds_its_pages(user_client, ocean_batch):
    response = user_client.get(reverse("list_create") + f"?batch={ocean_batch.pk}")

    assert response.context["form"]["urls"].value() == "Ocean\nIsland"
    assert response.context["form"]["wiki"].value() == ocean_batch.wiki


@pytest.mark.django_db
def test_a_batch_saved_as_a_list_is_its_first_run_and_nothing_is_checked_again(
    user_client, ocean_batch
):
    data = {"name": "Two pages", "urls": "Ocean\nIsland", "wiki": ocean_batch.wiki}
    data |= {"mode": "api", "schedule": "weekly"}

    response = user_client.post(reverse("list_create") + f"?batch={ocean_batch.pk}", data)

    saved_list = SavedList.objects.get()
    ocean_batch.refresh_from_db()
    assert response.url == saved_list.get_absolute_url()
    assert Batch.objects.get() == ocean_batch
    assert (ocean_batch.saved_list, ocean_batch.changes_count) == (saved_list, 0)


@pytest.mark.django_db
def test_a_run_of_another_list_saved_as_a_list_stays_that_lists(
    user_client, ocean_list, ocean_batch
):
    Batch.objects.filter(pk=ocean_batch.pk).update(saved_list=ocean_list)
    data = {"name": "Two pages", "urls": "Ocean\nIsland", "wiki": ocean_batch.wiki}
    data |= {"mode": "api", "schedule": "none"}

    response = user_client.post(
        reverse("list_create") + f"?batch={ocean_batch.pk}", data, follow=True
    )

    ocean_batch.refresh_from_db()
    assert ocean_batch.saved_list == ocean_list
    assert "stays a run of the list “Ocean pages”" in response.content.decode()


# --- Running -----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_run_now_opens_a_new_run_checked_against_the_previous(user_client, ocean_list):
    user_client.post(reverse("list_run", args=[ocean_list.pk]))
    first = batch_settled(ocean_list.runs.get())

    response = user_client.post(reverse("list_run", args=[ocean_list.pk]))

    second = ocean_list.runs.exclude(pk=first.pk).get()
    assert response.url == second.get_absolute_url()
    assert (second.saved_list, second.parent) == (ocean_list, first)
    batch_settled(second)


@pytest.mark.django_db
def test_run_now_while_a_run_is_still_going_says_so_and_starts_nothing(user_client, ocean_list):
    run_of(ocean_list, days_ago=0, status="running")

    response = user_client.post(reverse("list_run", args=[ocean_list.pk]), follow=True)

    assert response.redirect_chain == [(ocean_list.get_absolute_url(), 302)]
    assert "is still being checked" in response.content.decode()
    assert ocean_list.runs.count() == 1


@pytest.mark.django_db
def test_run_now_of_a_list_that_cannot_be_checked_says_why(user_client, user, fake_wiki):
    saved_list = list_save(
        owner=user, name="Elsewhere", entries="https://evil.example/wiki/X", wiki=fake_wiki.wiki_url
    )

    response = user_client.post(reverse("list_run", args=[saved_list.pk]), follow=True)

    assert response.redirect_chain == [(saved_list.get_absolute_url(), 302)]
    assert "has lines refused now: line 1" in response.content.decode()
    assert not Batch.objects.exists()


# --- Editing -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_edit_form_holds_the_list_as_saved(user_client, ocean_list):
    response = user_client.get(reverse("list_edit", args=[ocean_list.pk]))

    form = response.context["form"]
    assert (form["name"].value(), form["urls"].value()) == ("Ocean pages", OCEAN_PAGES)
    assert form["schedule"].value() == "daily"


@pytest.mark.django_db
def test_editing_refuses_the_name_of_another_of_the_users_lists(
    user_client, user, fake_wiki, ocean_list
):
    list_save(owner=user, name="Islands", entries="Island", wiki=fake_wiki.wiki_url)

    response = user_client.post(
        reverse("list_edit", args=[ocean_list.pk]), list_data(fake_wiki, name="Islands")
    )

    ocean_list.refresh_from_db()
    assert "You already have a list named “Islands”" in response.content.decode()
    assert ocean_list.name == "Ocean pages"


@pytest.mark.django_db
def test_a_changed_schedule_moves_the_next_run(user_client, fake_wiki, ocean_list):
    before = timezone.now()

    response = user_client.post(
        reverse("list_edit", args=[ocean_list.pk]), list_data(fake_wiki, schedule="weekly")
    )

    ocean_list.refresh_from_db()
    assert response.url == ocean_list.get_absolute_url()
    assert (
        before + timedelta(weeks=1) <= ocean_list.next_run_at <= timezone.now() + timedelta(weeks=1)
    )


@pytest.mark.django_db
def test_a_list_run_by_hand_has_no_next_run(user_client, fake_wiki, ocean_list):
    user_client.post(
        reverse("list_edit", args=[ocean_list.pk]), list_data(fake_wiki, schedule="none")
    )

    ocean_list.refresh_from_db()
    assert (ocean_list.schedule, ocean_list.next_run_at) == ("none", None)
    page = user_client.get(ocean_list.get_absolute_url()).content.decode()
    assert "Not scheduled: run it by hand." in page


# --- Deleting ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_deleting_asks_what_to_do_with_the_runs_keeping_them_by_default(user_client, ocean_list):
    run_of(ocean_list, days_ago=1, exists_count=3)

    response = user_client.get(reverse("list_delete", args=[ocean_list.pk]))

    page = response.content.decode()
    assert "Its 1 run" in page
    assert '<input type="radio" name="runs" value="keep" required checked>' in page
    assert SavedList.objects.exists()


@pytest.mark.django_db
def test_a_deleted_lists_runs_can_stay_in_the_history(user_client, ocean_list):
    run = run_of(ocean_list, days_ago=1, exists_count=3)

    response = user_client.post(
        reverse("list_delete", args=[ocean_list.pk]), {"runs": "keep"}, follow=True
    )

    run.refresh_from_db()
    assert response.redirect_chain == [(reverse("list_list"), 302)]
    assert "its runs stay in your history" in response.content.decode()
    assert not SavedList.objects.exists()
    assert run.saved_list is None


@pytest.mark.django_db
def test_a_deleted_lists_runs_can_go_with_it(user_client, ocean_list):
    run_of(ocean_list, days_ago=2, exists_count=3)
    run_of(ocean_list, days_ago=1, exists_count=3)

    response = user_client.post(
        reverse("list_delete", args=[ocean_list.pk]), {"runs": "delete"}, follow=True
    )

    assert "Deleted the list “Ocean pages” and its 2 runs." in response.content.decode()
    assert not SavedList.objects.exists()
    assert not Batch.objects.exists()


@pytest.mark.django_db
def test_a_delete_without_a_choice_deletes_nothing_and_asks_again(user_client, ocean_list):
    response = user_client.post(reverse("list_delete", args=[ocean_list.pk]))

    assert "Choose what happens to the list's runs." in response.content.decode()
    assert SavedList.objects.exists()


# --- The list's page and the lists page ---------------------------------------------------------


@pytest.mark.django_db
def test_the_list_page_shows_its_runs_newest_first_with_their_changes(user_client, ocean_list):
    first = run_of(ocean_list, days_ago=2, exists_count=3, changes_count=0)
    second = run_of(
        ocean_list, days_ago=1, exists_count=2, missing_count=1, changes_count=1, parent=first
    )

    page = user_client.get(ocean_list.get_absolute_url()).content.decode()

    runs = re.findall(r'<td><a href="/batches/([0-9a-f-]+)/">', page)
    assert runs == [str(second.pk), str(first.pk)]
    assert f'<a href="{second.get_absolute_url()}#changes">1 change</a>' in page


@pytest.mark.django_db
def test_the_list_page_charts_each_ended_run_as_exists_missing_and_other(user_client, ocean_list):
    run_of(ocean_list, days_ago=2, exists_count=3)
    run_of(ocean_list, days_ago=1, exists_count=1, missing_count=1, error_count=1)
    run_of(ocean_list, days_ago=0, status="running")

    page = user_client.get(ocean_list.get_absolute_url()).content.decode()

    assert '<svg class="chart"' in page and 'role="img"' in page
    assert page.count('class="chart-slot"') == 2
    assert (page.count('class="chart-exists"'), page.count('class="chart-missing"')) == (2, 1)
    assert page.count('class="chart-other"') == 1
    assert "style=" not in page


@pytest.mark.django_db
def test_the_list_page_pages_its_runs_25_at_a_time(user_client, ocean_list):
    for days_ago in range(26):
        run_of(ocean_list, days_ago=days_ago, exists_count=1)

    page = user_client.get(ocean_list.get_absolute_url() + "?page=2").content.decode()

    assert "Page 2 of 2" in page
    assert len(re.findall(r'<td><a href="/batches/', page)) == 1


@pytest.mark.django_db
def test_the_list_page_shows_the_webhook_its_secret_and_how_to_check_a_signature(
    user_client, ocean_list, settings
):
    settings.WIKICHECK_WEBHOOK_HOSTS = ["hooks.example.org"]
    ocean_list.webhook = "https://hooks.example.org/wikicheck"
    ocean_list.save()

    page = user_client.get(ocean_list.get_absolute_url()).content.decode()

    assert "<code>https://hooks.example.org/wikicheck</code>" in page
    assert f"<code>{ocean_list.webhook_secret}</code>" in page
    assert "X-Wikicheck-Signature-256: sha256=" in page


@pytest.mark.django_db
def test_the_list_page_shows_the_latest_deliveries_and_why_one_failed(user_client, ocean_list):
    run = run_of(ocean_list, days_ago=1, exists_count=3)
    Delivery.objects.create(
        saved_list=ocean_list,
        batch=run,
        kind="webhook",
        target="https://hooks.example.org/wikicheck",
        payload="{}",
        status="failed",
        attempts=5,
        response_status=503,
        error="The receiver answered 503.",
    )

    page = user_client.get(ocean_list.get_absolute_url()).content.decode()

    assert "Webhook to https://hooks.example.org/wikicheck" in page
    assert '<span class="badge badge-failed">Failed</span>' in page
    assert "The receiver answered 503." in page


@pytest.mark.django_db
def test_the_lists_page_shows_each_list_with_its_schedule_and_last_run(
    user_client, user, fake_wiki, ocean_list
):
    list_save(owner=user, name="Islands", entries="Island", wiki=fake_wiki.wiki_url)
    first = run_of(ocean_list, days_ago=2, exists_count=3)
    last = run_of(ocean_list, days_ago=1, exists_count=3, changes_count=4, parent=first)

    page = user_client.get(reverse("list_list")).content.decode()

    assert page.index("Islands") < page.index("Ocean pages")
    assert f'href="{last.get_absolute_url()}"' in page
    assert f'<a href="{last.get_absolute_url()}#changes">4 changes</a>' in page
    assert "Every day" in page and "none yet" in page
    assert f'href="{reverse("list_create")}">New list</a>' in page


@pytest.mark.django_db
def test_the_lists_page_takes_as_many_queries_for_many_lists_as_for_one(
    user_client, user, fake_wiki, django_assert_num_queries
):
    for n in range(5):
        saved_list = list_save(
            owner=user, name=f"List {n}", entries="Ocean", wiki=fake_wiki.wiki_url
        )
        run_of(saved_list, days_ago=1, exists_count=1)
    user_client.get(reverse("list_list"))

    # The session, the user, the lists with their last runs' ids, and those runs.
    with django_assert_num_queries(4):
        page = user_client.get(reverse("list_list")).content.decode()

    assert page.count("badge-finished") == 5


# --- From the batch page -----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_runs_batch_page_names_its_list(user_client, ocean_list):
    run = run_of(ocean_list, days_ago=1, exists_count=3)

    page = user_client.get(run.get_absolute_url()).content.decode()

    assert f'Run of the list <a href="{ocean_list.get_absolute_url()}">Ocean pages</a>' in page


@pytest.mark.django_db
def test_an_ended_batch_offers_to_be_saved_as_a_list(user_client, ocean_batch):
    page = user_client.get(ocean_batch.get_absolute_url()).content.decode()

    assert f'href="{reverse("list_create")}?batch={ocean_batch.pk}">Save as a list</a>' in page


@pytest.mark.django_db
def test_a_running_batch_does_not_offer_to_be_saved_as_a_list(user_client, ocean_batch):
    Batch.objects.filter(pk=ocean_batch.pk).update(status="running")

    page = user_client.get(ocean_batch.get_absolute_url()).content.decode()

    assert "Save as a list" not in page


@pytest.mark.django_db
def test_each_result_row_links_to_the_pages_history(user_client, ocean_batch):
    page = user_client.get(ocean_batch.get_absolute_url()).content.decode()

    history = reverse("page_history") + "?url=https%3A%2F%2Fen.wikipedia.org%2Fwiki%2FOcean"
    assert f'<a class="history" href="{history}"' in page


@pytest.mark.django_db
def test_the_home_page_and_the_header_lead_to_the_lists(user_client):
    page = user_client.get(reverse("home")).content.decode()

    assert f'<a href="{reverse("list_list")}">Lists</a>' in page
    assert f'<a href="{reverse("list_create")}">Watch a list over time' in page
