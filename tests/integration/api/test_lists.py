"""The saved lists' JSON API end to end through the test client: creating a list (its first run
started), reading lists with their runs, running one, deleting one, and only its owner's."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from checks.models import ApiToken, Batch, Result, SavedList
from checks.watch.lists import list_save
from tests.support import wait_until

LISTS_URL = "/api/lists/"


@pytest.fixture
def api_client(user) -> Client:
    """A client like a script's: a bearer token of `user`, no cookies, CSRF checks on."""
    token = ApiToken(user=user, name="script")
    key = token.key_generate()
    token.save()
    return Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {key}"})


@pytest.fixture
def api_wiki(fake_wiki, settings):
    """The fake wiki, asked through its API: a category's members can be read."""
    settings.WIKICHECK_API_PATHS = [(f"127.0.0.1:{fake_wiki.port}", "/w/api.php")]
    return fake_wiki


@pytest.fixture
def ocean_list(user, fake_wiki) -> SavedList:
    return list_of(user, "Ocean pages", wiki=fake_wiki.wiki_url)


def list_of(owner, name: str, *, wiki: str, entries: str = "Ocean\nIsland") -> SavedList:
    return list_save(owner=owner, name=name, entries=entries, wiki=wiki, mode="api")


def run_of(saved_list: SavedList, *, status: str = "finished", total: int = 0, **fields) -> Batch:
    """A run of the list as stored, with no page checked."""
    return Batch.objects.create(
        owner=saved_list.owner,
        wiki=saved_list.wiki,
        status=status,
        total=total,
        saved_list=saved_list,
        **fields,
    )


def post_json(client: Client, url: str, body, **kwargs):
    return client.post(url, json.dumps(body), content_type="application/json", **kwargs)


def detail_url(saved_list: SavedList) -> str:
    return reverse("api:list_detail", args=[saved_list.pk])


def run_url(saved_list: SavedList) -> str:
    return reverse("api:list_run", args=[saved_list.pk])


def settled(batch_id) -> bool:
    return Batch.objects.get(pk=batch_id).is_settled


# --- Creating ------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_list_of_urls_is_created_with_its_first_run(api_client, user, fake_wiki):
    body = {"name": "Ocean pages", "urls": ["Ocean", "Island", "Missing reef"], "schedule": "daily"}

    response = post_json(api_client, LISTS_URL, body)

    created = response.json()
    saved_list = SavedList.objects.get(owner=user)
    [run] = created["runs"]
    assert response.status_code == 201
    assert response["Location"] == created["links"]["self"] == f"/api/lists/{saved_list.pk}/"
    assert (created["id"], created["name"], created["entries"], created["source"]) == (
        saved_list.pk,
        "Ocean pages",
        3,
        None,
    )
    assert (created["wiki"], created["mode"], created["schedule"]) == (
        fake_wiki.wiki_url,
        "api",
        "daily",
    )
    assert created["next_run_at"] is not None
    assert "run_refused" not in created
    assert run["links"]["self"] == f"/api/batches/{run['id']}/"
    assert Batch.objects.get(pk=run["id"]).saved_list == saved_list
    wait_until(lambda: settled(run["id"]))


@pytest.mark.django_db
def test_a_list_of_a_categorys_members_keeps_its_source(api_client, api_wiki):
    body = {"name": "Members", "category": "Members 12"}

    created = post_json(api_client, LISTS_URL, body).json()

    [run] = created["runs"]
    assert created["entries"] is None
    assert created["source"] == {"kind": "category", "title": "Members 12", "namespaces": []}
    assert (run["status"], run["total"], run["counts"]["exists"]) == ("finished", 12, 12)


@pytest.mark.django_db
def test_a_list_answers_its_links_and_its_webhook_secret(api_client, user, fake_wiki):
    created = post_json(api_client, LISTS_URL, {"name": "Ocean pages", "urls": ["Ocean"]}).json()

    saved_list = SavedList.objects.get(owner=user)
    assert created["links"] == {
        "self": f"/api/lists/{saved_list.pk}/",
        "run": f"/api/lists/{saved_list.pk}/run/",
        "page": f"/lists/{saved_list.pk}/",
    }
    assert created["webhook_secret"] == saved_list.webhook_secret
    assert (created["schedule"], created["next_run_at"], created["webhook"]) == ("none", None, "")


@pytest.mark.django_db
def test_a_list_whose_first_run_is_refused_is_created_saying_why(
    api_client, user, fake_wiki, settings
):
    settings.WIKICHECK_USER_BATCHES_PER_HOUR = 1
    Batch.objects.create(owner=user, wiki=fake_wiki.wiki_url, total=0, status="finished")

    response = post_json(api_client, LISTS_URL, {"name": "Ocean pages", "urls": ["Ocean"]})

    assert response.status_code == 201
    assert response.json()["run_refused"].startswith("You have submitted 1 batches")
    assert response.json()["runs"] == []
    assert SavedList.objects.filter(owner=user, name="Ocean pages").exists()


# --- Validation ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_webhook_off_the_allow_list_is_refused_naming_its_field(api_client, fake_wiki, settings):
    settings.WIKICHECK_WEBHOOK_HOSTS = ["hooks.example.org"]
    body = {"name": "Ocean pages", "urls": ["Ocean"], "webhook": "https://evil.example/hook"}

    response = post_json(api_client, LISTS_URL, body)

    [error] = response.json()["errors"]
    assert response.status_code == 400
    assert error["field"] == "webhook"
    assert error["message"].startswith("evil.example is not in WIKICHECK_WEBHOOK_HOSTS")
    assert SavedList.objects.count() == 0


@pytest.mark.django_db
def test_a_webhook_on_the_allow_list_is_kept(api_client, fake_wiki, settings):
    settings.WIKICHECK_WEBHOOK_HOSTS = ["hooks.example.org"]
    body = {"name": "Ocean pages", "urls": ["Ocean"], "webhook": "https://hooks.example.org/x"}

    response = post_json(api_client, LISTS_URL, body)

    assert response.status_code == 201
    assert response.json()["webhook"] == "https://hooks.example.org/x"


@pytest.mark.django_db
def test_a_name_the_user_has_already_is_refused(api_client, ocean_list):
    response = post_json(api_client, LISTS_URL, {"name": "Ocean pages", "urls": ["Shark"]})

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "name", "message": "You already have a list named “Ocean pages”."}
    ]
    assert SavedList.objects.count() == 1


@pytest.mark.django_db
def test_a_name_another_user_has_is_free(api_client, other_user, fake_wiki):
    list_of(other_user, "Ocean pages", wiki=fake_wiki.wiki_url)

    response = post_json(api_client, LISTS_URL, {"name": "Ocean pages", "urls": ["Ocean"]})

    assert response.status_code == 201


@pytest.mark.django_db
def test_an_unknown_field_is_refused_listing_the_expected_ones(api_client, fake_wiki):
    body = {"name": "Ocean pages", "urls": ["Ocean"], "every": "day"}

    response = post_json(api_client, LISTS_URL, body)

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": "every",
            "message": "Unknown field; expected name, urls, wiki, mode, timeout, links_of, "
            "category, namespaces, schedule, webhook.",
        }
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"urls": ["Ocean"]}, "name", "This field is required."),
        ({"name": 7, "urls": ["Ocean"]}, "name", "Send name as a string."),
        ({"name": "L", "urls": ["Ocean"], "schedule": "monthly"}, "schedule", "Select a valid"),
        ({"name": "L", "urls": ["Ocean"], "schedule": None}, "schedule", "Send schedule as"),
        ({"name": "L", "urls": "Ocean"}, "urls", "Send urls as a list of strings."),
        ({"name": "L", "urls": ["https://evil.example/wiki/X"]}, "urls", "host evil.example"),
    ],
)
def test_a_malformed_list_names_the_field(api_client, fake_wiki, body, field, message):
    response = post_json(api_client, LISTS_URL, body)

    [error] = response.json()["errors"]
    assert response.status_code == 400
    assert error["field"] == field
    assert error["message"].startswith(message)
    assert (SavedList.objects.count(), Batch.objects.count()) == (0, 0)


# --- Reading -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_list_of_lists_holds_only_the_users_lists_by_name_in_pages(
    api_client, user, other_user, fake_wiki
):
    for name in ("Sharks", "Islands", "Oceans"):
        list_of(user, name, wiki=fake_wiki.wiki_url)
    list_of(other_user, "Alien", wiki=fake_wiki.wiki_url)

    first = api_client.get(LISTS_URL, {"page_size": 2}).json()
    second = api_client.get(first["next"]).json()

    assert [item["name"] for item in first["results"]] == ["Islands", "Oceans"]
    assert [item["name"] for item in second["results"]] == ["Sharks"]
    assert second["next"] is None


@pytest.mark.django_db
def test_a_list_is_read_with_its_runs_newest_first(api_client, ocean_list):
    older = run_of(ocean_list, total=2, exists_count=2, changes_count=0)
    newer = run_of(ocean_list, total=2, exists_count=1, missing_count=1, changes_count=1)
    Batch.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(days=1))

    body = api_client.get(detail_url(ocean_list)).json()

    assert [run["id"] for run in body["runs"]] == [str(newer.pk), str(older.pk)]
    latest = body["runs"][0]
    assert (latest["status"], latest["total"], latest["changes_count"]) == ("finished", 2, 1)
    assert (latest["counts"]["exists"], latest["counts"]["missing"]) == (1, 1)
    assert latest["links"] == {
        "self": f"/api/batches/{newer.pk}/",
        "page": f"/batches/{newer.pk}/",
    }
    assert set(latest) == {
        "id",
        "status",
        "created_at",
        "finished_at",
        "total",
        "counts",
        "changes_count",
        "links",
    }


@pytest.mark.django_db
def test_a_list_shows_its_25_latest_runs(api_client, ocean_list):
    for _ in range(26):
        run_of(ocean_list)

    body = api_client.get(detail_url(ocean_list)).json()

    assert len(body["runs"]) == 25


@pytest.mark.django_db
def test_a_list_with_many_runs_is_read_with_a_bounded_number_of_queries(
    api_client, ocean_list, django_assert_max_num_queries
):
    for _ in range(30):
        run_of(ocean_list)
    api_client.get(LISTS_URL)  # the token's use is recorded once a minute

    with django_assert_max_num_queries(3):
        response = api_client.get(detail_url(ocean_list))

    assert len(response.json()["runs"]) == 25


@pytest.mark.django_db
def test_a_list_says_its_schedule_and_why_its_last_due_run_did_not_start(api_client, ocean_list):
    note = "The run due at 2026-12-01 10:00 did not start: nothing to check."
    SavedList.objects.filter(pk=ocean_list.pk).update(schedule="hourly", schedule_note=note)

    body = api_client.get(detail_url(ocean_list)).json()

    assert (body["schedule"], body["schedule_note"]) == ("hourly", note)


# --- Running -------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_running_a_list_starts_a_batch_checked_against_its_last_finished_run(
    api_client, ocean_list
):
    previous = run_of(ocean_list)

    response = api_client.post(run_url(ocean_list))

    body = response.json()
    batch = Batch.objects.get(pk=body["batch"])
    assert response.status_code == 201
    assert response["Location"] == body["links"]["self"] == f"/api/batches/{batch.pk}/"
    assert body["links"]["page"] == f"/batches/{batch.pk}/"
    assert (batch.saved_list, batch.parent) == (ocean_list, previous)
    wait_until(lambda: settled(batch.pk))


@pytest.mark.django_db(transaction=True)
def test_a_second_run_while_the_first_is_going_is_a_conflict(api_client, user, fake_wiki):
    fake_wiki.latency_ms = 300
    slow = list_of(user, "Slow", wiki=fake_wiki.wiki_url, entries="Slow 1\nSlow 2\nSlow 3")
    first = api_client.post(run_url(slow)).json()

    response = api_client.post(run_url(slow))

    assert response.status_code == 409
    assert response.json() == {"errors": [{"message": "The list “Slow” is still being checked."}]}
    assert Batch.objects.filter(saved_list=slow).count() == 1
    wait_until(lambda: settled(first["batch"]))


@pytest.mark.django_db
def test_a_run_over_the_users_quota_is_429_with_retry_after(api_client, ocean_list, settings):
    settings.WIKICHECK_USER_BATCHES_PER_HOUR = 1
    run_of(ocean_list)

    response = api_client.post(run_url(ocean_list))

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert Batch.objects.count() == 1


@pytest.mark.django_db
def test_a_list_that_cannot_be_checked_as_saved_is_a_conflict(api_client, ocean_list, settings):
    settings.WIKICHECK_ALLOWED_HOSTS = ["*.wikipedia.org"]

    response = api_client.post(run_url(ocean_list))

    assert response.status_code == 409
    assert response.json()["errors"][0]["message"].startswith(
        "The list “Ocean pages” has lines refused now: line 1: "
    )
    assert Batch.objects.count() == 0


# --- Deleting ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_deleting_a_list_keeps_its_runs_by_default(api_client, ocean_list):
    run = run_of(ocean_list)

    response = api_client.delete(detail_url(ocean_list))

    run.refresh_from_db()
    assert response.status_code == 204
    assert not SavedList.objects.exists()
    assert run.saved_list is None


@pytest.mark.django_db
def test_deleting_a_list_with_runs_delete_deletes_its_runs(api_client, ocean_list):
    run = run_of(ocean_list, total=1)
    Result.objects.create(batch=run, position=0, url="https://x.example/wiki/A", title="A")

    response = api_client.delete(detail_url(ocean_list) + "?runs=delete")

    assert response.status_code == 204
    assert (SavedList.objects.count(), Batch.objects.count(), Result.objects.count()) == (0, 0, 0)


@pytest.mark.django_db
def test_deleting_with_another_runs_choice_is_refused_and_deletes_nothing(api_client, ocean_list):
    response = api_client.delete(detail_url(ocean_list) + "?runs=archive")

    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "runs must be keep or delete, not 'archive'."
    assert SavedList.objects.count() == 1


# --- Who may -------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "address"), [("get", "detail"), ("delete", "detail"), ("post", "run")]
)
def test_another_users_list_is_not_found(api_client, other_user, fake_wiki, method, address):
    theirs = list_of(other_user, "Theirs", wiki=fake_wiki.wiki_url)
    url = detail_url(theirs) if address == "detail" else run_url(theirs)

    response = getattr(api_client, method)(url)

    assert response.status_code == 404
    assert response.json() == {"errors": [{"message": "No such list."}]}
    assert SavedList.objects.filter(pk=theirs.pk).exists()
    assert Batch.objects.count() == 0


@pytest.mark.django_db
def test_a_list_that_does_not_exist_is_not_found_however_large_its_id(api_client, user):
    response = api_client.get("/api/lists/99999999999999999999999/")

    assert response.status_code == 404
    assert response.json() == {"errors": [{"message": "No such list."}]}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "address"),
    [("get", "lists"), ("post", "lists"), ("get", "detail"), ("delete", "detail"), ("post", "run")],
)
def test_anonymous_requests_get_401(client, ocean_list, method, address):
    url = {"lists": LISTS_URL, "detail": detail_url(ocean_list), "run": run_url(ocean_list)}

    response = getattr(client, method)(url[address], content_type="application/json")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert SavedList.objects.count() == 1 and Batch.objects.count() == 0


@pytest.mark.django_db
def test_a_list_created_with_a_token_is_the_tokens_users(api_client, user, fake_wiki):
    post_json(api_client, LISTS_URL, {"name": "Ocean pages", "urls": ["Ocean"]})

    assert SavedList.objects.get().owner == user


@pytest.mark.django_db
def test_a_session_needs_the_csrf_token_to_delete_a_list(user, ocean_list):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)

    response = browser.delete(detail_url(ocean_list))

    assert response.status_code == 403
    assert SavedList.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "address", "allow"),
    [("put", "lists", "GET, POST"), ("post", "detail", "GET, DELETE"), ("get", "run", "POST")],
)
def test_wrong_method_gets_405_in_json(api_client, ocean_list, method, address, allow):
    url = {"lists": LISTS_URL, "detail": detail_url(ocean_list), "run": run_url(ocean_list)}

    response = getattr(api_client, method)(url[address])

    assert response.status_code == 405
    assert response["Allow"] == allow


@pytest.mark.django_db
def test_an_unknown_address_names_the_lists_endpoints(api_client):
    response = api_client.get("/api/lists")

    assert response.status_code == 404
    assert "/api/lists/ and /api/lists/<id>/" in response.json()["errors"][0]["message"]
