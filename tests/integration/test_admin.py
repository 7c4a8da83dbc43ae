from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from checks.models import Batch, CheckProcess, Result

BATCH_SIZE = 5000


@pytest.fixture
def big_batch(admin_user):
    batch = Batch.objects.create(
        owner=admin_user, wiki="https://en.wikipedia.org/wiki/", total=BATCH_SIZE
    )
    Result.objects.bulk_create(
        (
            Result(
                batch=batch,
                position=n,
                url=f"https://en.wikipedia.org/wiki/Page_{n}",
                title=f"Page {n}",
                status=Result.Status.EXISTS if n % 2 else Result.Status.MISSING,
                http_status=200 if n % 2 else 404,
            )
            for n in range(BATCH_SIZE)
        ),
        batch_size=1000,
    )
    return batch


@pytest.mark.django_db
def test_batch_changelist_uses_a_fixed_number_of_queries(
    admin_client, big_batch, django_assert_max_num_queries
):
    with django_assert_max_num_queries(10):
        response = admin_client.get(reverse("admin:checks_batch_changelist"))

    assert response.status_code == 200
    assert str(big_batch.pk) in response.content.decode()


@pytest.mark.django_db
def test_batch_change_page_links_to_results_instead_of_inlining_them(
    admin_client, big_batch, django_assert_max_num_queries
):
    with django_assert_max_num_queries(10):
        response = admin_client.get(reverse("admin:checks_batch_change", args=[big_batch.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "View the 5000 results" in page
    assert "Page_4999" not in page


@pytest.mark.django_db
def test_result_changelist_for_a_batch_uses_a_fixed_number_of_queries(
    admin_client, big_batch, django_assert_max_num_queries
):
    url = reverse("admin:checks_result_changelist") + f"?batch__id__exact={big_batch.pk}"

    with django_assert_max_num_queries(10):
        response = admin_client.get(url)

    assert response.status_code == 200
    assert response.context["cl"].result_count == BATCH_SIZE
    assert len(response.context["cl"].result_list) == 100


@pytest.mark.django_db
def test_results_are_read_only_in_the_admin(admin_client, big_batch):
    result = big_batch.results.first()

    page = admin_client.get(reverse("admin:checks_result_change", args=[result.pk]))
    post = admin_client.post(
        reverse("admin:checks_result_change", args=[result.pk]), {"status": "error"}
    )

    result.refresh_from_db()
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert post.status_code == 403
    assert result.status != "error"


@pytest.mark.django_db
def test_result_search_finds_urls(admin_client, big_batch):
    response = admin_client.get(reverse("admin:checks_result_changelist") + "?q=Page_4242")

    assert [r.title for r in response.context["cl"].result_list] == ["Page 4242"]


@pytest.mark.django_db
def test_non_staff_users_cannot_enter_the_admin(user_client):
    response = user_client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert "login" in response.url


# --- Actions on batches --------------------------------------------------------------------------


def batch_with(owner, statuses: list[str], **fields) -> Batch:
    batch = Batch.objects.create(
        owner=owner, wiki="https://en.wikipedia.org/wiki/", total=len(statuses), **fields
    )
    Result.objects.bulk_create(
        Result(
            batch=batch,
            position=n,
            url=f"https://en.wikipedia.org/wiki/P{n}",
            title=f"P{n}",
            status=status,
        )
        for n, status in enumerate(statuses)
    )
    return batch


def run_action(admin_client, action: str, batches: list[Batch], **extra):
    return admin_client.post(
        reverse("admin:checks_batch_changelist"),
        {"action": action, "_selected_action": [batch.pk for batch in batches], **extra},
        follow=True,
    )


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.mark.django_db
def test_admin_cancels_the_running_batches_among_those_selected(admin_client, user):
    running = batch_with(user, ["pending", "pending"])
    finished = batch_with(user, ["exists"], status=Batch.Status.FINISHED)

    response = run_action(admin_client, "cancel_batches", [running, finished])

    running.refresh_from_db()
    assert running.status == Batch.Status.CANCELLED
    assert running.cancelled_count == 2
    assert messages_of(response) == ["Cancelled 1 batch; 1 skipped (already ended)."]


@pytest.mark.django_db
def test_admin_reruns_batches_as_new_batches_of_the_same_owner(admin_client, user):
    batch = batch_with(user, ["exists", "missing"], status=Batch.Status.FINISHED)

    response = run_action(admin_client, "rerun_batches", [batch])

    again = Batch.objects.exclude(pk=batch.pk).get()
    assert again.owner == user
    assert list(again.results.values_list("title", "status")) == [
        ("P0", "pending"),
        ("P1", "pending"),
    ]
    assert messages_of(response) == ["Started 1 new batch."]


@pytest.mark.django_db
def test_admin_retries_only_errors_and_unknowns(admin_client, user):
    failed = batch_with(user, ["exists", "error", "unknown"], status=Batch.Status.FINISHED)
    fine = batch_with(user, ["exists"], status=Batch.Status.FINISHED)

    response = run_action(admin_client, "retry_batches", [failed, fine])

    again = Batch.objects.exclude(pk__in=[failed.pk, fine.pk]).get()
    assert (again.owner, again.total) == (user, 2)
    assert messages_of(response) == ["Started 1 new batch; 1 skipped (no errors or unknowns)."]


@pytest.mark.django_db
def test_admin_delete_confirmation_counts_results_instead_of_listing_them(admin_client, big_batch):
    response = admin_client.post(
        reverse("admin:checks_batch_changelist"),
        {"action": "delete_selected", "_selected_action": [big_batch.pk]},
    )

    page = response.content.decode()
    assert "Results: 5000" in page
    assert "Page_4999" not in page
    assert Batch.objects.exists()


@pytest.mark.django_db
def test_admin_deletes_batches_with_their_results(admin_client, big_batch, user):
    running = batch_with(user, ["pending"])

    response = run_action(admin_client, "delete_selected", [big_batch, running], post="yes")

    assert not Batch.objects.exists()
    assert not Result.objects.exists()
    assert messages_of(response) == ["Successfully deleted 2 batches."]


@pytest.mark.django_db
def test_admin_reports_each_batch_whose_hosts_were_removed_and_starts_nothing(
    admin_client, user, settings
):
    batches = [batch_with(user, ["error"], status=Batch.Status.FINISHED) for _ in range(2)]
    settings.WIKICHECK_ALLOWED_HOSTS = ["*.wikimedia.org"]

    response = run_action(admin_client, "rerun_batches", batches)

    refusal = "Not checked again: en.wikipedia.org is no longer in WIKICHECK_ALLOWED_HOSTS."
    assert sorted(messages_of(response)) == sorted(
        [f"{batch}: {refusal}" for batch in batches] + ["Started 0 new batches."]
    )
    assert Batch.objects.count() == 2


@pytest.mark.django_db
def test_admin_lists_the_checking_processes_with_their_heartbeat_and_rows_held(
    admin_client, big_batch, django_assert_max_num_queries
):
    live = CheckProcess.objects.create(host="web-1", pid=4101, host_key="web-1:b:1")
    silent = CheckProcess.objects.create(
        host="worker-9",
        pid=4102,
        kind=CheckProcess.Kind.CELERY,
        host_key="worker-9:b:1",
        heartbeat_at=timezone.now() - timedelta(minutes=5),
    )
    big_batch.results.filter(position__lt=3).update(status="running", claimed_by=live)

    with django_assert_max_num_queries(10):
        response = admin_client.get(reverse("admin:checks_checkprocess_changelist"))

    (live_row,) = [row for row in response.content.decode().split("<tr")[1:] if str(live) in row]
    (silent_row,) = [r for r in response.content.decode().split("<tr")[1:] if str(silent) in r]
    assert response.status_code == 200
    assert '<td class="field-rows">3</td>' in live_row
    assert '<td class="field-rows">0</td>' in silent_row
    assert 'alt="True"' in live_row and 'alt="False"' in silent_row


@pytest.mark.django_db
def test_processes_are_read_only_in_the_admin(admin_client):
    process = CheckProcess.objects.create(host="web-1", pid=4101, host_key="web-1:b:1")

    add = admin_client.get(reverse("admin:checks_checkprocess_add"))
    delete = admin_client.post(
        reverse("admin:checks_checkprocess_delete", args=[process.pk]), {"post": "yes"}
    )

    assert (add.status_code, delete.status_code) == (403, 403)
    assert CheckProcess.objects.filter(pk=process.pk).exists()
