"""What the API does to a batch besides reading it, as the batch page does: rename, delete,
re-run, retry, check the rest; a name on submitting, and searching its results."""

import pytest
from django.test import Client
from django.urls import reverse

from checks.batches import batch_cancel, batch_create
from checks.intake.parsing import Entry
from checks.models import NAME_LENGTH, Batch, Result
from tests.integration.api.calls import (
    WIKI,
    action_url,
    batch_of,
    detail_url,
    patch_json,
    post_json,
)

pytestmark = pytest.mark.usefixtures("no_workers")

BATCHES_URL = "/api/batches/"
ACTIONS = ["resume", "rerun", "retry"]


def batch_with(owner, *titles: str, **fields) -> Batch:
    """A batch of these titles, as a submission stores it (lines 1, 2, …), none checked yet."""
    entries = [
        Entry(url=WIKI + title, title=title, lines=(line,))
        for line, title in enumerate(titles, start=1)
    ]
    return batch_create(owner=owner, entries=entries, wiki=WIKI, **fields)


def with_errors(batch: Batch, *titles: str) -> Batch:
    """The batch finished: these titles failed, the others exist."""
    failed = batch.results.filter(title__in=titles)
    failed.update(status=Result.Status.ERROR, error="ReadTimeout")
    batch.results.exclude(title__in=titles).update(status=Result.Status.EXISTS)
    Batch.objects.filter(pk=batch.pk).update(
        status=Batch.Status.FINISHED,
        done=batch.total,
        error_count=len(titles),
        exists_count=batch.total - len(titles),
    )
    batch.refresh_from_db()
    return batch


def cancelled(batch: Batch) -> Batch:
    batch_cancel(batch=batch)
    batch.refresh_from_db()
    return batch


# --- Names ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_submission_s_name_is_the_batch_s_name(api_client, user):
    response = post_json(api_client, BATCHES_URL, {"urls": ["Ocean"], "name": "Seas"})

    assert response.status_code == 201
    assert (response.json()["name"], response.json()["display_name"]) == ("Seas", "Seas")


@pytest.mark.django_db
def test_without_a_name_a_batch_is_named_after_its_first_pages(api_client, user):
    response = post_json(api_client, BATCHES_URL, {"urls": ["Ocean", "Island", "Shark", "Reef"]})

    assert response.json()["name"] == ""
    assert response.json()["display_name"] == "Ocean, Island, Shark and 1 more"


@pytest.mark.django_db
def test_a_submission_s_name_that_is_not_a_string_is_refused(api_client, user):
    response = post_json(api_client, BATCHES_URL, {"urls": ["Ocean"], "name": 7})

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "name"
    assert not Batch.objects.exists()


@pytest.mark.django_db
def test_patching_a_name_renames_the_batch(api_client, user):
    batch = batch_with(user, "Ocean")

    response = patch_json(api_client, detail_url(batch), {"name": "  Deep   seas "})

    batch.refresh_from_db()
    assert response.status_code == 200
    assert response.json()["name"] == batch.name == "Deep seas"
    assert response.json()["display_name"] == "Deep seas"


@pytest.mark.django_db
def test_an_empty_name_gives_the_batch_back_its_pages_name(api_client, user):
    batch = batch_with(user, "Ocean", "Island", name="Seas")

    response = patch_json(api_client, detail_url(batch), {"name": ""})

    assert (response.json()["name"], response.json()["display_name"]) == ("", "Ocean, Island")


@pytest.mark.django_db
def test_a_name_too_long_is_refused_saying_the_limit(api_client, user):
    batch = batch_with(user, "Ocean", name="Seas")

    response = patch_json(api_client, detail_url(batch), {"name": "x" * (NAME_LENGTH + 1)})

    batch.refresh_from_db()
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": "name",
            "message": f"A batch's name has at most {NAME_LENGTH} characters (201 given).",
        }
    ]
    assert batch.name == "Seas"


@pytest.mark.django_db
@pytest.mark.parametrize("body", [{"name": None}, {"name": ["Seas"]}, {}, {"title": "Seas"}])
def test_a_rename_without_a_string_name_is_refused(api_client, user, body):
    batch = batch_with(user, "Ocean", name="Seas")

    response = patch_json(api_client, detail_url(batch), body)

    batch.refresh_from_db()
    assert response.status_code == 400
    assert {error["field"] for error in response.json()["errors"]} <= {"name", "title"}
    assert batch.name == "Seas"


@pytest.mark.django_db
def test_a_session_may_rename_with_its_csrf_token(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get(reverse("home"))
    batch = batch_with(user, "Ocean")

    response = patch_json(
        client,
        detail_url(batch),
        {"name": "Seas"},
        headers={"X-CSRFToken": client.cookies["csrftoken"].value},
    )

    assert response.status_code == 200


@pytest.mark.django_db
def test_a_rename_sent_as_a_form_is_refused_as_not_json(api_client, user):
    batch = batch_with(user, "Ocean")

    response = api_client.patch(detail_url(batch), "name=Seas")

    assert response.status_code == 415


# --- Delete --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_deleting_a_batch_removes_it_and_its_results(api_client, user):
    batch = batch_with(user, "Ocean", "Island")

    response = api_client.delete(detail_url(batch))

    assert response.status_code == 204
    assert not Batch.objects.exists()
    assert not Result.objects.exists()


# --- Re-run and retry ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_retry_is_a_new_batch_of_the_failed_pages_linked_both_ways(api_client, user):
    batch = with_errors(batch_with(user, "Ocean", "Island", "Shark"), "Island")

    response = api_client.post(action_url(batch, "retry"))

    body = response.json()
    parent = api_client.get(detail_url(batch)).json()
    assert response.status_code == 201
    assert response["Location"] == body["links"]["self"]
    assert (body["total"], body["parent"], body["links"]["parent"]) == (
        1,
        str(batch.pk),
        detail_url(batch),
    )
    assert parent["links"]["children"] == [body["links"]["self"]]


@pytest.mark.django_db
def test_a_rerun_checks_every_page_again_keeping_its_input_lines(api_client, user):
    batch = with_errors(batch_with(user, "Ocean", "Island"), "Island")

    body = api_client.post(action_url(batch, "rerun")).json()

    results = api_client.get(body["links"]["self"]).json()["results"]
    assert body["total"] == 2
    assert [(row["title"], row["lines"]) for row in results] == [("Ocean", [1]), ("Island", [2])]


@pytest.mark.django_db
def test_a_retry_with_nothing_to_retry_is_a_conflict_storing_nothing(api_client, user):
    batch = with_errors(batch_with(user, "Ocean"))

    response = api_client.post(action_url(batch, "retry"))

    assert response.status_code == 409
    assert response.json()["errors"][0]["message"] == (
        "There is nothing to check again in this batch."
    )
    assert Batch.objects.count() == 1


@pytest.mark.django_db
def test_a_rerun_of_hosts_no_longer_allowed_is_a_conflict_naming_them(api_client, user, settings):
    batch = with_errors(batch_with(user, "Ocean"))
    settings.WIKICHECK_ALLOWED_HOSTS = ["example.org"]

    response = api_client.post(action_url(batch, "rerun"))

    assert response.status_code == 409
    assert (
        "en.wikipedia.org is no longer in WIKICHECK_ALLOWED_HOSTS"
        in (response.json()["errors"][0]["message"])
    )
    assert Batch.objects.count() == 1


@pytest.mark.django_db
def test_a_rerun_over_the_hourly_limit_says_when_to_try_again(api_client, user, settings):
    batch = with_errors(batch_with(user, "Ocean"))
    settings.WIKICHECK_USER_BATCHES_PER_HOUR = 1

    response = api_client.post(action_url(batch, "rerun"))

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert Batch.objects.count() == 1


# --- Check the rest ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_resuming_a_cancelled_batch_checks_the_rest_in_the_same_batch(api_client, user):
    batch = cancelled(batch_with(user, "Ocean", "Island", "Shark"))

    response = api_client.post(action_url(batch, "resume"))

    body = response.json()
    assert response.status_code == 200
    assert (body["id"], body["status"], body["resumed"], body["pending"]) == (
        str(batch.pk),
        "running",
        3,
        3,
    )
    assert Batch.objects.count() == 1


@pytest.mark.django_db
def test_resuming_a_running_batch_is_a_conflict(api_client, user):
    batch = batch_with(user, "Ocean")

    response = api_client.post(action_url(batch, "resume"))

    assert response.status_code == 409
    assert response.json()["errors"][0]["message"] == (
        "Only a cancelled batch has pages left to check; this one is running."
    )


@pytest.mark.django_db
def test_resuming_a_batch_with_nothing_left_is_a_conflict(api_client, user):
    batch = batch_of(user, status=Batch.Status.CANCELLED)

    response = api_client.post(action_url(batch, "resume"))

    assert response.status_code == 409
    assert "every page was checked" in response.json()["errors"][0]["message"]


@pytest.mark.django_db
def test_resuming_beyond_the_pages_allowed_to_wait_is_refused_with_retry_after(
    api_client, user, settings
):
    batch = cancelled(batch_with(user, "Ocean", "Island", "Shark"))
    settings.WIKICHECK_USER_MAX_PENDING = 2

    response = api_client.post(action_url(batch, "resume"))

    batch.refresh_from_db()
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert (batch.status, batch.cancelled_count) == (Batch.Status.CANCELLED, 3)


# --- Another user's batch, wrong methods ---------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("action", ACTIONS)
def test_actions_on_another_user_s_batch_are_not_found(api_client, other_user, action):
    batch = cancelled(with_errors(batch_with(other_user, "Ocean", "Island"), "Island"))

    response = api_client.post(action_url(batch, action))

    assert response.status_code == 404
    assert response.json() == {"errors": [{"message": "No such batch."}]}
    assert Batch.objects.count() == 1


@pytest.mark.django_db
def test_another_user_s_batch_cannot_be_renamed_or_deleted(api_client, other_user):
    batch = batch_with(other_user, "Ocean", name="Seas")

    renamed = patch_json(api_client, detail_url(batch), {"name": "Mine"})
    deleted = api_client.delete(detail_url(batch))

    batch.refresh_from_db()
    assert (renamed.status_code, deleted.status_code) == (404, 404)
    assert batch.name == "Seas"


@pytest.mark.django_db
@pytest.mark.parametrize("action", ACTIONS)
def test_actions_refuse_get_in_json(api_client, user, action):
    batch = batch_with(user, "Ocean")

    response = api_client.get(action_url(batch, action))

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert "is not allowed here" in response.json()["errors"][0]["message"]


@pytest.mark.django_db
@pytest.mark.parametrize("action", ACTIONS)
def test_a_session_s_action_without_its_csrf_token_is_refused(user, action):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    batch = cancelled(with_errors(batch_with(user, "Ocean", "Island"), "Island"))

    response = client.post(action_url(batch, action))

    assert response.status_code == 403
    assert Batch.objects.count() == 1


# --- Searching results ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_q_lists_the_results_whose_title_or_url_holds_it(api_client, user):
    batch = batch_with(user, "Ocean", "Pacific_Ocean", "Island")

    body = api_client.get(detail_url(batch), {"q": "ocEAN"}).json()

    assert [row["title"] for row in body["results"]] == ["Ocean", "Pacific_Ocean"]


@pytest.mark.django_db
def test_q_and_status_together_list_the_results_matching_both(api_client, user):
    batch = with_errors(batch_with(user, "Ocean", "Pacific_Ocean", "Island"), "Pacific_Ocean")

    body = api_client.get(detail_url(batch), {"q": "ocean", "status": "error"}).json()

    assert [(row["title"], row["lines"]) for row in body["results"]] == [("Pacific_Ocean", [2])]


@pytest.mark.django_db
def test_the_next_page_of_a_search_keeps_the_search(api_client, user):
    batch = batch_with(user, "Ocean", "Island", "Pacific_Ocean", "Arctic_Ocean")

    first = api_client.get(detail_url(batch), {"q": "ocean", "page_size": 2}).json()
    second = api_client.get(first["next"]).json()

    assert [row["title"] for row in second["results"]] == ["Arctic_Ocean"]
