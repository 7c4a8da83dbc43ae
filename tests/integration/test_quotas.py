"""Per-user limits: pages waiting and batches per hour, on the form, the API and the command."""

import json
import threading
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from checks.batches import batch_create
from checks.engine.backends.base import Backend
from checks.engine.backends.threads import ThreadsBackend
from checks.intake.parsing import Entry
from checks.models import ApiToken, Batch, Result
from checks.quotas import QuotaExceeded

WIKI = "https://en.wikipedia.org/wiki/"


@pytest.fixture(autouse=True)
def no_workers(monkeypatch):
    """Nothing here needs a page checked: submissions must not reach the network."""
    monkeypatch.setattr(ThreadsBackend, "work_submitted", Backend.work_submitted)


@pytest.fixture
def limits(settings):
    """At most 5 pages waiting and 3 batches an hour per user."""
    settings.WIKICHECK_USER_MAX_PENDING = 5
    settings.WIKICHECK_USER_BATCHES_PER_HOUR = 3
    return settings


def entries(count: int) -> list[Entry]:
    return [Entry(url=f"{WIKI}Page_{n}", title=f"Page {n}") for n in range(count)]


def waiting_batch(owner, *, total: int, done: int = 0, **fields) -> Batch:
    return Batch.objects.create(owner=owner, wiki=WIKI, total=total, done=done, **fields)


def created_ago(batch: Batch, minutes: int) -> None:
    Batch.objects.filter(pk=batch.pk).update(created_at=timezone.now() - timedelta(minutes=minutes))


# --- The limits ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_batch_that_would_put_too_many_pages_in_waiting_is_refused_and_nothing_stored(
    limits, user
):
    waiting_batch(user, total=4)

    with pytest.raises(QuotaExceeded) as refused:
        batch_create(owner=user, entries=entries(2), wiki=WIKI)

    assert str(refused.value).startswith(
        "You have 4 pages waiting to be checked; at most 5 may wait. "
        "This batch of 2 would exceed it"
    )
    assert refused.value.retry_after > 0
    assert (Batch.objects.count(), Result.objects.count()) == (1, 0)


@pytest.mark.django_db
def test_only_pages_still_waiting_count_against_the_limit(limits, user):
    waiting_batch(user, total=10, done=7)
    waiting_batch(user, total=100, done=100, status=Batch.Status.FINISHED)
    waiting_batch(user, total=100, done=10, cancelled_count=90, status=Batch.Status.CANCELLED)
    Batch.objects.update(created_at=timezone.now() - timedelta(hours=2))

    batch = batch_create(owner=user, entries=entries(2), wiki=WIKI)

    assert batch.total == 2


@pytest.mark.django_db
def test_other_users_waiting_pages_do_not_count(limits, user, other_user):
    waiting_batch(other_user, total=5)

    batch = batch_create(owner=user, entries=entries(5), wiki=WIKI)

    assert batch.total == 5


@pytest.mark.django_db
def test_the_hourly_limit_says_when_the_oldest_batch_of_the_hour_frees_a_place(limits, user):
    for minutes in (50, 30, 10):
        created_ago(waiting_batch(user, total=0, status=Batch.Status.FINISHED), minutes)

    with pytest.raises(QuotaExceeded) as refused:
        batch_create(owner=user, entries=entries(1), wiki=WIKI)

    assert str(refused.value).startswith("You have submitted 3 batches in the last hour; at most 3")
    assert "Try again in 10 minutes." in str(refused.value)
    assert 590 <= refused.value.retry_after <= 600


@pytest.mark.django_db
def test_batches_older_than_an_hour_do_not_count(limits, user):
    for minutes in (70, 65, 61):
        created_ago(waiting_batch(user, total=0, status=Batch.Status.FINISHED), minutes)

    batch = batch_create(owner=user, entries=entries(1), wiki=WIKI)

    assert batch.total == 1


@pytest.mark.django_db
def test_zero_turns_both_limits_off(settings, user):
    settings.WIKICHECK_USER_MAX_PENDING = 0
    settings.WIKICHECK_USER_BATCHES_PER_HOUR = 0
    for _ in range(3):
        waiting_batch(user, total=100_000)

    batch = batch_create(owner=user, entries=entries(3), wiki=WIKI)

    assert batch.total == 3


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_cannot_together_pass_the_limit(settings, user):
    settings.WIKICHECK_USER_MAX_PENDING = 10
    outcomes: list[str] = []
    start = threading.Barrier(8)

    def submit() -> None:
        try:
            start.wait()
            batch_create(owner=user, entries=entries(3), wiki=WIKI)
            outcomes.append("stored")
        except QuotaExceeded:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["refused"] * 5 + ["stored"] * 3
    assert Result.objects.count() == 9


# --- Where a submission comes in -----------------------------------------------------------------


@pytest.mark.django_db
def test_the_form_answers_429_with_the_message_and_keeps_the_input(limits, user, user_client):
    waiting_batch(user, total=5)

    response = user_client.post(reverse("home"), {"urls": "Ocean\nIsland", "wiki": WIKI})

    page = response.content.decode()
    assert response.status_code == 429
    assert response["Retry-After"].isdecimal()
    assert "You have 5 pages waiting to be checked; at most 5 may wait." in page
    assert "Ocean\nIsland</textarea>" in page
    assert Batch.objects.count() == 1


@pytest.mark.django_db
def test_the_api_answers_429_in_json_with_retry_after(limits, user, client):
    for _ in range(3):
        waiting_batch(user, total=0, status=Batch.Status.FINISHED)
    token = ApiToken(user=user, name="script")
    key = token.key_generate()
    token.save()

    response = client.post(
        "/api/batches/",
        json.dumps({"urls": ["Ocean"], "wiki": WIKI}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )

    assert response.status_code == 429
    assert 3590 <= int(response["Retry-After"]) <= 3600
    assert response.json()["errors"][0]["message"].startswith(
        "You have submitted 3 batches in the last hour"
    )
    assert Batch.objects.count() == 3


@pytest.mark.django_db
def test_checkpages_prints_the_message_and_exits_with_2(limits, user, tmp_path):
    waiting_batch(user, total=5)
    path = tmp_path / "pages.txt"
    path.write_text("Ocean\n")

    with pytest.raises(CommandError) as refused:
        call_command("checkpages", str(path), "--user", "alice", "--wiki", WIKI)

    assert refused.value.returncode == 2
    assert str(refused.value).startswith("Nothing was stored: You have 5 pages waiting")
    assert Batch.objects.count() == 1


@pytest.mark.django_db
def test_rerunning_a_batch_over_the_limit_says_why_instead_of_failing(limits, user, user_client):
    old = batch_create(owner=user, entries=entries(3), wiki=WIKI)
    waiting_batch(user, total=2)

    response = user_client.post(reverse("batch_rerun", args=[old.pk]), follow=True)

    assert response.status_code == 200
    assert "at most 5 may wait" in response.content.decode()
    assert Batch.objects.count() == 2
