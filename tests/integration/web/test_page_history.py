"""One page's history across the user's batches (/pages/?url=, checks/watch/history.py)."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from checks.models import Batch, Result
from checks.watch.history import page_history
from checks.watch.lists import list_save

WIKI = "https://en.wikipedia.org/wiki/"
OCEAN = WIKI + "Ocean"


def checked(owner, *, days_ago: int, url: str = OCEAN, saved_list=None, **outcome) -> Batch:
    """A finished batch created `days_ago` days ago that found `url` as `outcome` says."""
    batch = Batch.objects.create(
        owner=owner, wiki=WIKI, total=1, done=1, status="finished", saved_list=saved_list
    )
    Batch.objects.filter(pk=batch.pk).update(created_at=timezone.now() - timedelta(days=days_ago))
    Result.objects.create(batch=batch, position=0, url=url, title=url.removeprefix(WIKI), **outcome)
    return batch


def history_page(client, url: str = OCEAN) -> str:
    return client.get(reverse("page_history"), {"url": url}).content.decode()


def batch_links(page: str) -> list[str]:
    return re.findall(r'<td><a href="/batches/([0-9a-f-]+)/">', page)


@pytest.mark.django_db
def test_each_batch_that_checked_the_page_is_a_row_newest_first(user_client, user):
    old = checked(user, days_ago=3, status="exists")
    new = checked(user, days_ago=1, status="missing")
    checked(user, days_ago=2, url=WIKI + "Island", status="exists")

    page = history_page(user_client)

    assert batch_links(page) == [str(new.pk), str(old.pk)]
    assert page.index("Does not exist") < page.index('badge-exists">Exists')
    assert "History of Ocean" in page


@pytest.mark.django_db
def test_a_row_says_where_the_page_redirects_or_why_it_failed(user_client, user):
    checked(user, days_ago=2, status="exists", redirect_target="Sea", disambiguation=True)
    checked(user, days_ago=1, status="error", error="Timed out after 5 s.")

    page = history_page(user_client)

    assert "Redirects to <q>Sea</q>" in page and "Disambiguation" in page
    assert "Timed out after 5 s." in page


@pytest.mark.django_db
def test_a_row_names_the_list_its_batch_is_a_run_of(user_client, user):
    saved_list = list_save(owner=user, name="Ocean pages", entries="Ocean", wiki=WIKI)
    checked(user, days_ago=1, saved_list=saved_list, status="exists")

    page = history_page(user_client)

    assert f'<a href="{saved_list.get_absolute_url()}">Ocean pages</a>' in page


@pytest.mark.django_db
def test_other_users_batches_are_not_in_the_history(user_client, user, other_user):
    mine = checked(user, days_ago=2, status="exists")
    checked(other_user, days_ago=1, status="missing")

    page = history_page(user_client)

    assert batch_links(page) == [str(mine.pk)]


@pytest.mark.django_db
def test_a_page_no_batch_checked_is_said_to_have_no_history(user_client, user):
    checked(user, days_ago=1, status="exists")

    page = history_page(user_client, WIKI + "Island")

    assert "None of your batches checked" in page
    assert batch_links(page) == []


@pytest.mark.django_db
def test_without_a_url_the_page_asks_for_one(user_client):
    response = user_client.get(reverse("page_history"))

    assert response.status_code == 200
    assert "Give the address of a page" in response.content.decode()


@pytest.mark.django_db
def test_the_history_shows_the_latest_100_batches_and_says_it_was_cut(user_client, user):
    for days_ago in range(101):
        checked(user, days_ago=days_ago, status="exists")

    page = history_page(user_client)

    assert len(batch_links(page)) == 100
    assert "only the latest 100 are listed" in page


@pytest.mark.django_db
def test_the_history_is_read_in_one_query(user, django_assert_num_queries):
    saved_list = list_save(owner=user, name="Ocean pages", entries="Ocean", wiki=WIKI)
    for days_ago in range(3):
        checked(user, days_ago=days_ago, saved_list=saved_list, status="exists")

    with django_assert_num_queries(1):
        history = page_history(owner=user, url=OCEAN, limit=2)
        names = [result.batch.saved_list.name for result in history.results]

    assert names == ["Ocean pages", "Ocean pages"]
    assert history.more
