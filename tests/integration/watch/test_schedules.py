"""Schedules fire exactly once (checks/watch/schedules.py): a due list becomes one batch however
many sweeps look at once, the schedule moves on, and a run still going is not started twice."""

from datetime import timedelta

import pytest
from django.utils import timezone

from checks.models import Batch, SavedList
from checks.watch.lists import list_save
from checks.watch.schedules import schedules_fire
from tests.integration.watch.conftest import run_finished
from tests.support.threads import at_once

SWEEPS_AT_ONCE = 4


def due_list(owner, wiki: str, *, name: str, due_at, schedule: str = "daily") -> SavedList:
    saved = list_save(owner=owner, name=name, entries="Ocean\nIsland", wiki=wiki, schedule=schedule)
    SavedList.objects.filter(pk=saved.pk).update(next_run_at=due_at)
    saved.refresh_from_db()
    return saved


@pytest.mark.django_db(transaction=True)
def test_a_due_schedule_starts_one_run_and_moves_on_by_its_interval(user, fake_wiki):
    now = timezone.now()
    due_at = now - timedelta(minutes=1)
    saved = due_list(user, fake_wiki.wiki_url, name="Daily", due_at=due_at)

    started = schedules_fire(now=now)
    again = schedules_fire(now=now)

    assert [batch.saved_list_id for batch in started] == [saved.pk]
    assert again == []
    saved.refresh_from_db()
    assert saved.next_run_at == due_at + timedelta(days=1)
    run_finished(started[0])


@pytest.mark.django_db(transaction=True)
def test_runs_missed_while_nothing_ran_are_not_made_up_in_a_burst(user, fake_wiki):
    now = timezone.now()
    due_at = now - timedelta(hours=5, minutes=10)
    saved = due_list(user, fake_wiki.wiki_url, name="Hourly", due_at=due_at, schedule="hourly")

    started = schedules_fire(now=now)

    assert len(started) == 1
    saved.refresh_from_db()
    # The first time still ahead, at the schedule's minute past the hour.
    assert saved.next_run_at == due_at + timedelta(hours=6)
    assert saved.next_run_at > now
    run_finished(started[0])


@pytest.mark.django_db
def test_lists_not_due_or_not_scheduled_are_left_alone(user, fake_wiki):
    now = timezone.now()
    due_list(user, fake_wiki.wiki_url, name="Later", due_at=now + timedelta(minutes=1))
    manual = list_save(owner=user, name="By hand", entries="Ocean", wiki=fake_wiki.wiki_url)

    started = schedules_fire(now=now)

    assert started == []
    assert manual.next_run_at is None
    assert not Batch.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_sweeps_firing_at_once_start_each_due_list_once(user, fake_wiki):
    now = timezone.now()
    lists = [
        due_list(user, fake_wiki.wiki_url, name=f"List {n}", due_at=now - timedelta(seconds=n))
        for n in range(10)
    ]

    outcomes = at_once(lambda: schedules_fire(now=now), threads=SWEEPS_AT_ONCE)

    started = [batch for outcome in outcomes for batch in outcome]
    assert sorted(batch.saved_list_id for batch in started) == sorted(s.pk for s in lists)
    assert Batch.objects.count() == len(lists)
    for batch in started:
        run_finished(batch)


@pytest.mark.django_db
def test_a_run_still_going_when_the_next_is_due_is_not_started_twice(user, fake_wiki):
    now = timezone.now()
    saved = due_list(user, fake_wiki.wiki_url, name="Slow", due_at=now - timedelta(seconds=1))
    going = Batch.objects.create(owner=user, wiki=saved.wiki, total=2, saved_list=saved)

    started = schedules_fire(now=now)

    assert started == []
    assert list(saved.runs.all()) == [going]
    saved.refresh_from_db()
    # The schedule moved on, and the list page says why this run did not start.
    assert saved.next_run_at > now
    assert "did not start" in saved.schedule_note
    assert "still being checked" in saved.schedule_note


@pytest.mark.django_db(transaction=True)
def test_a_run_that_starts_again_clears_the_note_of_the_one_that_did_not(user, fake_wiki):
    now = timezone.now()
    saved = due_list(user, fake_wiki.wiki_url, name="Noted", due_at=now - timedelta(seconds=1))
    SavedList.objects.filter(pk=saved.pk).update(schedule_note="The run due at … did not start")

    started = schedules_fire(now=now)

    saved.refresh_from_db()
    assert saved.schedule_note == ""
    run_finished(started[0])
