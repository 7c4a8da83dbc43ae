"""History search with a time budget: newest batches first, and a word when it stopped early."""

import re
from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from checks.engine.workqueue import results_insert
from checks.models import Batch, Result
from checks.web import search
from checks.web.search import history_search
from tests.support import results_copy

WIKI = "https://en.wikipedia.org/wiki/"


def history(owner, *, batches: int, size: int, needles: tuple[int, ...] = ()) -> list[Batch]:
    """`batches` finished batches of `size` results, a minute apart, oldest first; those whose
    index is in `needles` hold one page titled "Needle". The first batch's rows are copied for
    the others (INSERT ... SELECT): hundreds of thousands of rows in seconds."""
    start = timezone.now() - timedelta(minutes=batches)
    with transaction.atomic():
        made = [
            Batch.objects.create(owner=owner, wiki=WIKI, total=size, status="finished")
            for _ in range(batches)
        ]
        results_insert(
            batch_id=made[0].pk, rows=((f"{WIKI}P_{n}", f"P {n}", "") for n in range(size))
        )
        Result.objects.filter(batch=made[0]).update(status="exists")
        results_copy(source=made[0], targets=made[1:])
        for index, batch in enumerate(made):
            Batch.objects.filter(pk=batch.pk).update(created_at=start + timedelta(minutes=index))
            if index in needles:
                Result.objects.filter(batch=batch, position=size // 2).update(title="Needle")
    return made


@pytest.mark.django_db
def test_a_search_too_large_for_its_budget_stops_with_the_newest_matches_and_a_note(
    user_client, user, settings
):
    settings.WIKICHECK_SEARCH_BUDGET_MS = 50
    made = history(user, batches=40, size=5_000, needles=(39, 0))

    response = user_client.get(reverse("batch_list") + "?q=needle")

    page = response.content.decode()
    shown = [batch.pk for batch in response.context["page"].object_list]
    searched = int(re.search(r"Searched your newest (\d+) batches", page).group(1))
    # Stopped by the budget, not by the end of the history (the time it took is the benchmark's
    # to measure: tests run beside others).
    assert 1 <= searched < 40
    assert shown == [made[39].pk]
    assert "narrow the dates to search older ones." in page


@pytest.mark.django_db
def test_a_search_within_its_budget_finds_every_match_newest_first_without_a_note(
    user, monkeypatch
):
    monkeypatch.setattr(search, "SLICE_ROWS", 10)
    made = history(user, batches=12, size=10, needles=(2, 7, 11))

    found = history_search(batches=Batch.objects.filter(owner=user), text="needle", budget_ms=5000)

    assert [batch.pk for batch in found.batches] == [made[11].pk, made[7].pk, made[2].pk]
    assert (found.complete, found.searched, found.note) == (True, 12, "")


@pytest.mark.django_db
def test_a_search_stopped_by_its_budget_says_how_many_batches_it_searched(user, monkeypatch):
    monkeypatch.setattr(search, "SLICE_ROWS", 10)
    history(user, batches=12, size=10, needles=(11,))

    found = history_search(batches=Batch.objects.filter(owner=user), text="needle", budget_ms=0)

    assert (found.complete, found.searched, len(found.batches)) == (False, 1, 1)
    assert found.note.startswith("Searched your newest 1 batches (back to ")


@pytest.mark.django_db
def test_a_search_matching_too_many_batches_shows_the_newest_and_asks_to_narrow_it(
    user, monkeypatch
):
    monkeypatch.setattr(search, "MATCHES_MAX", 3)
    monkeypatch.setattr(search, "SLICE_ROWS", 10)
    made = history(user, batches=6, size=10, needles=(0, 1, 2, 3, 4, 5))

    found = history_search(batches=Batch.objects.filter(owner=user), text="needle", budget_ms=5000)

    assert [batch.pk for batch in found.batches] == [made[5].pk, made[4].pk, made[3].pk]
    assert found.note == (
        "Showing the newest 3 matching batches; narrow the search or the dates to see older ones."
    )
