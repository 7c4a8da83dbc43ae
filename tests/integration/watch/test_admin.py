"""The admin of saved lists, their runs and their deliveries (checks/watch/admin.py): within
the batch admin's query limits, runs linked not inlined, deliveries read-only."""

import pytest
from django.urls import reverse
from django.utils import timezone

from checks.models import Batch, Delivery, SavedList

LISTS = 30
RUNS_EACH = 5
# The batch admin's limit (tests/integration/test_admin.py).
QUERY_LIMIT = 10


@pytest.fixture
def lists_with_runs(admin_user):
    lists = SavedList.objects.bulk_create(
        SavedList(owner=admin_user, name=f"List {n}", entries="Ocean", wiki="https://x/")
        for n in range(LISTS)
    )
    runs = Batch.objects.bulk_create(
        Batch(owner=admin_user, wiki="https://x/", total=1, saved_list=saved, status="finished")
        for saved in lists
        for _ in range(RUNS_EACH)
    )
    Delivery.objects.bulk_create(
        Delivery(
            saved_list=run.saved_list,
            batch=run,
            kind=Delivery.Kind.WEBHOOK,
            target="https://hooks.example.org/in",
            payload="{}",
            next_attempt_at=timezone.now(),
        )
        for run in runs
    )
    return lists


@pytest.mark.django_db
@pytest.mark.parametrize("model", ["savedlist", "delivery", "batch"])
def test_the_changelists_use_a_fixed_number_of_queries(
    admin_client, lists_with_runs, django_assert_max_num_queries, model
):
    with django_assert_max_num_queries(QUERY_LIMIT):
        response = admin_client.get(reverse(f"admin:checks_{model}_changelist"))

    assert response.status_code == 200
    assert "List " in response.content.decode()


@pytest.mark.django_db
def test_a_list_s_page_links_to_its_runs_filtered_in_the_batch_admin(
    admin_client, lists_with_runs, django_assert_max_num_queries
):
    saved = lists_with_runs[0]

    with django_assert_max_num_queries(QUERY_LIMIT):
        page = admin_client.get(reverse("admin:checks_savedlist_change", args=[saved.pk]))
    runs = admin_client.get(
        reverse("admin:checks_batch_changelist"), {"saved_list__id__exact": saved.pk}
    )

    assert f"View the {RUNS_EACH} runs" in page.content.decode()
    assert runs.context["cl"].result_count == RUNS_EACH


@pytest.mark.django_db
def test_deliveries_are_read_only_but_can_be_sent_again(admin_client, lists_with_runs):
    delivery = Delivery.objects.first()
    Delivery.objects.filter(pk=delivery.pk).update(
        status="failed", attempts=5, next_attempt_at=None
    )

    change = admin_client.post(
        reverse("admin:checks_delivery_change", args=[delivery.pk]), {"target": "https://evil/"}
    )
    again = admin_client.post(
        reverse("admin:checks_delivery_changelist"),
        {"action": "send_again", "_selected_action": [delivery.pk]},
        follow=True,
    )

    delivery.refresh_from_db()
    assert change.status_code == 403
    assert again.status_code == 200
    assert (delivery.target, delivery.status, delivery.attempts) == (
        "https://hooks.example.org/in",
        "pending",
        0,
    )
    assert delivery.next_attempt_at is not None
