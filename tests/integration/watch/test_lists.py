"""Saving, running and deleting a list (checks/watch/lists.py): a run is a batch of the list's
pages, checked against the list's previous finished run."""

from datetime import timedelta

import pytest
from django.utils import timezone

from checks.models import Batch, Result, SavedList
from checks.watch.changes import batch_changes
from checks.watch.lists import (
    NameTaken,
    RunRefused,
    RunStillGoing,
    list_adopt,
    list_delete,
    list_run,
    list_save,
)
from tests.integration.watch.conftest import run_finished
from tests.support.threads import at_once


@pytest.mark.django_db(transaction=True)
def test_a_run_checks_the_list_s_pages_as_a_batch_of_the_list(ocean_list):
    batch = run_finished(list_run(saved_list=ocean_list))

    assert batch.saved_list == ocean_list
    assert batch.parent is None
    assert dict(batch.results.values_list("title", "status")) == {
        "Ocean": "exists",
        "Island": "exists",
        "Missing reef": "missing",
    }


@pytest.mark.django_db
def test_a_run_is_named_after_its_list(ocean_list):
    batch = list_run(saved_list=ocean_list)

    assert batch.display_name == ocean_list.name


@pytest.mark.django_db(transaction=True)
def test_a_page_removed_and_another_created_between_two_runs_are_its_changes(ocean_list, fake_wiki):
    first = run_finished(list_run(saved_list=ocean_list))
    fake_wiki.page_delete("Island")
    fake_wiki.page_create("Missing reef")

    second = run_finished(list_run(saved_list=ocean_list))

    changes = batch_changes(batch=second)
    assert second.parent == first
    assert changes.against == first
    assert [(c.title, c.before, c.after) for c in changes.by_kind["now_missing"]] == [
        ("Island", "Exists", "Does not exist")
    ]
    assert [(c.title, c.before, c.after) for c in changes.by_kind["now_exists"]] == [
        ("Missing reef", "Does not exist", "Exists")
    ]
    assert changes.pages == 2


@pytest.mark.django_db(transaction=True)
def test_a_run_is_compared_with_the_previous_finished_run_not_a_cancelled_one(ocean_list):
    first = run_finished(list_run(saved_list=ocean_list))
    cancelled = Batch.objects.create(
        owner=ocean_list.owner,
        wiki=ocean_list.wiki,
        total=0,
        status=Batch.Status.CANCELLED,
        saved_list=ocean_list,
    )

    second = list_run(saved_list=ocean_list)

    assert cancelled.created_at > first.created_at
    assert second.parent == first


@pytest.mark.django_db
def test_a_list_is_not_run_again_while_a_run_is_still_going(ocean_list):
    Batch.objects.create(
        owner=ocean_list.owner, wiki=ocean_list.wiki, total=3, saved_list=ocean_list
    )

    with pytest.raises(RunStillGoing, match="still being checked"):
        list_run(saved_list=ocean_list)

    assert ocean_list.runs.count() == 1


@pytest.mark.django_db
def test_a_list_whose_host_left_the_allow_list_is_refused_and_stores_nothing(
    ocean_list, fake_wiki, settings
):
    ocean_list.entries = f"{fake_wiki.wiki_url}Ocean\nhttps://de.wikipedia.org/wiki/Meer"
    settings.WIKICHECK_ALLOWED_HOSTS = [f"127.0.0.1:{fake_wiki.port}"]

    with pytest.raises(RunRefused, match="line 2"):
        list_run(saved_list=ocean_list)

    assert not Batch.objects.exists()
    assert not Result.objects.exists()


@pytest.mark.django_db
def test_saving_a_schedule_sets_the_next_run_one_interval_ahead(user, fake_wiki):
    before = timezone.now()

    saved = list_save(
        owner=user, name="Weekly", entries="Ocean", wiki=fake_wiki.wiki_url, schedule="weekly"
    )

    assert before + timedelta(weeks=1) <= saved.next_run_at <= timezone.now() + timedelta(weeks=1)


@pytest.mark.django_db
def test_editing_keeps_the_schedule_s_time_unless_the_schedule_changes(ocean_list):
    due = ocean_list.next_run_at

    list_save(owner=ocean_list.owner, saved_list=ocean_list, entries="Ocean\nShark")
    kept = SavedList.objects.get(pk=ocean_list.pk).next_run_at
    list_save(owner=ocean_list.owner, saved_list=ocean_list, schedule="none")

    assert kept == due
    assert SavedList.objects.get(pk=ocean_list.pk).next_run_at is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("runs", [True, False])
def test_deleting_a_list_keeps_or_deletes_its_runs_as_asked(ocean_list, runs):
    batch = run_finished(list_run(saved_list=ocean_list))

    deleted = list_delete(saved_list=ocean_list, runs=runs)

    assert not SavedList.objects.exists()
    assert deleted == (1 if runs else 0)
    assert Batch.objects.filter(pk=batch.pk).exists() is not runs
    if not runs:
        assert Batch.objects.get(pk=batch.pk).saved_list is None


@pytest.mark.django_db(transaction=True)
def test_two_runs_asked_for_at_once_start_one(ocean_list, fake_wiki):
    fake_wiki.latency_ms = 200

    outcomes = at_once(lambda: list_run(saved_list=ocean_list), threads=2)

    started = [outcome for outcome in outcomes if isinstance(outcome, Batch)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, RunStillGoing)]
    assert (len(started), len(refused)) == (1, 1)
    run_finished(ocean_list.runs.get())


@pytest.mark.django_db
def test_a_finished_batch_saved_as_a_list_becomes_its_first_run_with_its_changes_counted(
    ocean_list,
):
    batch = Batch.objects.create(
        owner=ocean_list.owner, wiki=ocean_list.wiki, total=0, status=Batch.Status.FINISHED
    )

    list_adopt(saved_list=ocean_list, batch=batch)

    batch.refresh_from_db()
    assert (batch.saved_list, batch.changes_count) == (ocean_list, 0)


@pytest.mark.django_db
def test_a_second_list_of_the_same_name_saved_at_once_is_refused_saying_why(ocean_list):
    with pytest.raises(NameTaken, match="already have a list named “Ocean pages”"):
        list_save(owner=ocean_list.owner, name="Ocean pages", entries="Shark", wiki="https://x/")

    assert SavedList.objects.get().entries == "Ocean\nIsland\nMissing reef"
