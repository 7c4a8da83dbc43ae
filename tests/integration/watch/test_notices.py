"""A finished run of a list is noticed once (checks/watch/notices.py): its changes are counted,
and an e-mail and a webhook delivery are recorded when there are any."""

import json

import pytest
from django.core import mail

from checks.models import Batch, Delivery, Result
from checks.watch.deliveries import deliveries_send
from checks.watch.lists import list_save
from checks.watch.notices import runs_notice
from tests.support.threads import at_once

WIKI = "https://en.wikipedia.org/wiki/"


def run_of(saved_list, pages: dict[str, str], *, parent=None) -> Batch:
    """A finished run of `saved_list` whose pages had these statuses."""
    batch = Batch.objects.create(
        owner=saved_list.owner,
        wiki=WIKI,
        total=len(pages),
        status=Batch.Status.FINISHED,
        saved_list=saved_list,
        parent=parent,
    )
    Result.objects.bulk_create(
        Result(batch=batch, position=n, url=WIKI + title, title=title, status=status)
        for n, (title, status) in enumerate(pages.items())
    )
    return batch


@pytest.fixture
def watched(user, settings):
    user.email = "alice@example.org"
    user.save()
    settings.WIKICHECK_WEBHOOK_HOSTS = ["hooks.example.org"]
    return list_save(
        owner=user,
        name="Sea life",
        entries="Ocean\nIsland\nShark",
        wiki=WIKI,
        webhook="https://hooks.example.org/wikicheck",
    )


@pytest.fixture
def two_runs(watched):
    first = run_of(watched, {"Ocean": "exists", "Island": "exists", "Shark": "exists"})
    second = run_of(
        watched, {"Ocean": "missing", "Island": "exists", "Shark": "error"}, parent=first
    )
    return first, second


@pytest.mark.django_db
def test_a_run_with_changes_records_an_e_mail_and_a_webhook_delivery(two_runs, settings):
    first, second = two_runs
    settings.WIKICHECK_SITE_URL = "https://wikicheck.example.org"

    runs_notice()

    second.refresh_from_db()
    assert second.changes_count == 2
    deliveries = {d.kind: d for d in Delivery.objects.filter(batch=second)}
    assert set(deliveries) == {"email", "webhook"}
    assert deliveries["email"].target == "alice@example.org"
    body = json.loads(deliveries["webhook"].payload)
    assert body["list"]["name"] == "Sea life"
    assert body["batch"]["url"] == f"https://wikicheck.example.org/batches/{second.pk}/"
    assert body["changes"]["against"] == str(first.pk)
    assert [page["title"] for page in body["changes"]["now_missing"]] == ["Ocean"]
    assert [page["title"] for page in body["changes"]["now_failing"]] == ["Shark"]
    assert body["changed_pages"] == 2


@pytest.mark.django_db
def test_the_first_run_and_a_run_without_changes_tell_no_one(watched):
    first = run_of(watched, {"Ocean": "exists"})
    same = run_of(watched, {"Ocean": "exists"}, parent=first)

    runs_notice()

    assert list(Batch.objects.order_by("created_at").values_list("changes_count", flat=True)) == [
        0,
        0,
    ]
    assert same.deliveries.count() == 0
    assert not Delivery.objects.exists()


@pytest.mark.django_db
def test_a_run_still_going_is_noticed_only_once_it_has_finished(two_runs):
    _, second = two_runs
    Batch.objects.filter(pk=second.pk).update(status=Batch.Status.RUNNING)

    runs_notice()
    waiting = Delivery.objects.count()
    Batch.objects.filter(pk=second.pk).update(status=Batch.Status.FINISHED)
    runs_notice()

    assert waiting == 0
    assert Delivery.objects.filter(batch=second).count() == 2


@pytest.mark.django_db(transaction=True)
def test_sweeps_noticing_at_once_record_each_delivery_once(two_runs):
    outcomes = at_once(runs_notice, threads=3)

    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    assert Delivery.objects.count() == 2


@pytest.mark.django_db
def test_the_owner_gets_an_e_mail_listing_the_changes(two_runs, settings):
    _, second = two_runs
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.WIKICHECK_WEBHOOK_HOSTS = []  # the webhook is refused; the e-mail still goes
    runs_notice()

    deliveries_send()

    [message] = mail.outbox
    assert message.to == ["alice@example.org"]
    assert message.subject == "wikicheck: 2 pages changed in “Sea life”"
    assert "Now missing (1):\n  Ocean: Exists → Does not exist" in message.body
    assert "Newly failing (1):\n  Shark: Exists → Error" in message.body
    assert f"/batches/{second.pk}/" in message.body
    email = Delivery.objects.get(kind="email")
    assert (email.status, email.attempts) == ("delivered", 1)
    assert Delivery.objects.get(kind="webhook").status == "refused"


@pytest.mark.django_db
def test_an_owner_without_an_e_mail_address_gets_only_the_webhook(two_runs, user):
    user.email = ""
    user.save()

    runs_notice()

    assert list(Delivery.objects.values_list("kind", flat=True)) == ["webhook"]
