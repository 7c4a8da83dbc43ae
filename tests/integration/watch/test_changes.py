"""What changed between a batch and the one it checks again (checks/watch/changes.py), on the
batch page and in the JSON API."""

import pytest
from django.urls import reverse

from checks.engine.workqueue import NewRow, results_insert
from checks.models import Batch, Result
from checks.watch.changes import batch_changes

WIKI = "https://en.wikipedia.org/wiki/"

# (title, status, redirect target, disambiguation) before, and after.
BEFORE = [
    ("Ocean", "exists", "", False),
    ("Island", "missing", "", False),
    ("Shark", "exists", "", False),
    ("Whale", "exists", "", False),
    ("Reef", "exists", "Coral reef", False),
    ("Mercury", "exists", "", False),
    ("Lagoon", "exists", "", False),
    ("Tide", "pending", "", False),
]
AFTER = [
    ("Ocean", "missing", "", False),
    ("Island", "exists", "", False),
    ("Shark", "error", "", False),
    ("Whale", "exists", "Cetacea", False),
    ("Reef", "exists", "Reef (disambiguation)", True),
    ("Mercury", "exists", "", True),
    ("Lagoon", "exists", "", False),
    ("Tide", "missing", "", False),
    ("Atoll", "missing", "", False),
]


def batch_of(owner, pages, *, parent=None) -> Batch:
    """A finished batch of `pages` as `(title, status, redirect target, disambiguation)`."""
    batch = Batch.objects.create(
        owner=owner, wiki=WIKI, total=len(pages), status="finished", parent=parent
    )
    Result.objects.bulk_create(
        Result(
            batch=batch,
            position=n,
            url=WIKI + title,
            title=title,
            status=status,
            redirect_target=target,
            disambiguation=disambiguation,
        )
        for n, (title, status, target, disambiguation) in enumerate(pages)
    )
    return batch


@pytest.fixture
def pair(user):
    before = batch_of(user, BEFORE)
    return before, batch_of(user, AFTER, parent=before)


def titles(changes, kind: str) -> list[str]:
    return [change.title for change in changes.by_kind[kind]]


@pytest.mark.django_db
def test_each_way_a_page_changed_is_listed_against_the_batch_checked_again(pair):
    before, after = pair

    changes = batch_changes(batch=after)

    assert changes.against == before
    assert titles(changes, "now_missing") == ["Ocean"]
    assert titles(changes, "now_exists") == ["Island"]
    assert titles(changes, "now_failing") == ["Shark"]
    assert titles(changes, "redirect_changed") == ["Whale", "Reef"]
    assert titles(changes, "now_disambiguation") == ["Reef", "Mercury"]
    # Unchanged (Lagoon), not checked before (Tide) and new (Atoll) pages are no changes.
    assert changes.pages == 6


@pytest.mark.django_db
def test_a_change_says_what_the_page_was_and_is(pair):
    _, after = pair

    changes = batch_changes(batch=after)

    (ocean,) = changes.by_kind["now_missing"]
    assert (ocean.url, ocean.before, ocean.after) == (WIKI + "Ocean", "Exists", "Does not exist")
    whale, reef = changes.by_kind["redirect_changed"]
    assert (whale.before, whale.after) == ("(no redirect)", "Cetacea")
    assert (reef.before, reef.after) == ("Coral reef", "Reef (disambiguation)")


@pytest.mark.django_db
def test_a_batch_that_checks_no_batch_again_has_no_changes(user):
    assert batch_changes(batch=batch_of(user, BEFORE)) is None


# Busy on both cores for a while: never beside the timed fair-share and load tests.
@pytest.mark.xdist_group("cpu-bound")
@pytest.mark.django_db
def test_changes_between_two_100000_page_batches_take_one_query(user, django_assert_num_queries):
    size = 100_000
    before = Batch.objects.create(owner=user, wiki=WIKI, total=size, status="finished")
    after = Batch.objects.create(owner=user, wiki=WIKI, total=size, status="finished")
    after.parent = before
    for batch, missing_every in ((before, 1000), (after, 999)):
        rows = (
            NewRow(
                f"{WIKI}Page_{n}",
                f"Page {n}",
                "",
                "missing" if n % missing_every == 0 else "exists",
                entry=f"Page {n}",
            )
            for n in range(size)
        )
        results_insert(batch_id=batch.pk, rows=rows)

    with django_assert_num_queries(1):
        changes = batch_changes(batch=after)

    now_missing = [n for n in range(size) if n % 999 == 0 and n % 1000 != 0]
    assert titles(changes, "now_missing") == [f"Page {n}" for n in now_missing]
    assert len(changes.by_kind["now_exists"]) == len(
        [n for n in range(size) if n % 1000 == 0 and n % 999 != 0]
    )


# --- On the batch page and in the JSON API ----------------------------------------------------


@pytest.mark.django_db
def test_the_batch_page_shows_the_changes_and_links_both_ways(user_client, pair):
    before, after = pair

    page = user_client.get(after.get_absolute_url()).content.decode()
    parent_page = user_client.get(before.get_absolute_url()).content.decode()

    assert f"6 changes since {before.created_at:%Y-%m-%d}" in page
    assert f'href="{WIKI}Ocean"' in page and "Exists → Does not exist" in page
    assert f'Checks again <a href="{before.get_absolute_url()}"' in page
    assert f'Checked again in <a href="{after.get_absolute_url()}"' in parent_page


@pytest.mark.django_db
def test_a_running_batch_shows_no_changes_yet(user_client, pair):
    _, after = pair
    Batch.objects.filter(pk=after.pk).update(status="running")

    page = user_client.get(after.get_absolute_url()).content.decode()

    assert 'id="changes"' not in page


@pytest.mark.django_db
def test_the_api_lists_the_changes_by_kind(user_client, pair):
    before, after = pair

    answer = user_client.get(reverse("api:batch_detail", args=[after.pk])).json()

    assert answer["parent"] == str(before.pk)
    changes = answer["changes"]
    assert changes["against"] == str(before.pk)
    assert changes["now_missing"] == [
        {"url": WIKI + "Ocean", "title": "Ocean", "before": "Exists", "after": "Does not exist"}
    ]
    assert [item["title"] for item in changes["now_disambiguation"]] == ["Reef", "Mercury"]
    assert user_client.get(reverse("api:batch_detail", args=[before.pk])).json()["changes"] is None


@pytest.mark.django_db
def test_another_user_sees_neither_the_batch_nor_its_changes(client, other_user, pair):
    _, after = pair
    client.force_login(other_user)

    assert client.get(after.get_absolute_url()).status_code == 404
    assert client.get(reverse("api:batch_detail", args=[after.pk])).status_code == 404
