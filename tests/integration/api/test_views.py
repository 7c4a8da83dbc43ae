"""The JSON API end to end through the test client: tokens and sessions, validation, results."""

import hashlib
import json
import re
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from checks.exports import FILTER_KEYS
from checks.models import ApiToken, Batch, Result
from tests.integration.api.calls import WIKI, action_url, batch_of, detail_url, post_json
from tests.support import wait_until

BATCHES_URL = "/api/batches/"
UNAUTHENTICATED = "Authentication required: log in, or send Authorization: Bearer <token>"
BIG_BATCH_SIZE = 5000
# What a result says of its page, besides its status.
PAGE_INFO = ("page_id", "disambiguation", "wikidata_item", "length", "last_edited", "final_url")


def cancel_url(batch: Batch) -> str:
    return action_url(batch, "cancel")


# --- Submitting and polling ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_seed_pages_submitted_with_a_token_give_three_existing_and_one_missing(
    api_client, fake_wiki
):
    urls = ["Ocean", f"{fake_wiki.wiki_url}Island", "this_page_does_not_exist", "Shark"]

    created = post_json(api_client, BATCHES_URL, {"urls": urls, "wiki": fake_wiki.wiki_url})
    url = created["Location"]
    finished = wait_until(lambda: (body := api_client.get(url).json())["pending"] == 0 and body)

    assert created.status_code == 201
    assert url == created.json()["links"]["self"] == f"/api/batches/{created.json()['id']}/"
    assert finished["status"] == "finished"
    assert finished["counts"] == {
        "exists": 3,
        "missing": 1,
        "unknown": 0,
        "error": 0,
        "invalid": 0,
        "redirect": 0,
        "disambiguation": 0,
        "pending": 0,
        "cancelled": 0,
    }
    assert [(r["title"], r["status"]) for r in finished["results"]] == [
        ("Ocean", "exists"),
        ("Island", "exists"),
        ("this page does not exist", "missing"),
        ("Shark", "exists"),
    ]
    assert finished["results"][0]["http_status"] == 200
    assert finished["results"][0]["checked_at"]
    assert finished["finished_at"] and finished["next"] is None


@pytest.mark.django_db
def test_forbidden_titles_are_stored_as_invalid_rows_and_counted_in_the_answer(
    api_client, user, no_workers
):
    response = post_json(
        api_client, BATCHES_URL, {"urls": ["Ocean", "A|B", "Talk:"], "mode": "page"}
    )

    body = response.json()
    assert response.status_code == 201
    assert (body["invalid"], body["total"]) == (2, 3)
    assert body["counts"]["invalid"] == 2


@pytest.mark.django_db
def test_created_batch_answers_its_counts_and_links(api_client, user, no_workers):
    response = post_json(api_client, BATCHES_URL, {"urls": ["Ocean", "Ocean", "Sea water"]})

    body = response.json()
    batch = Batch.objects.get(owner=user)
    assert response.status_code == 201
    assert (body["id"], body["status"], body["total"], body["duplicates"]) == (
        str(batch.pk),
        "running",
        2,
        1,
    )
    assert body["links"] == {
        "self": f"/api/batches/{batch.pk}/",
        "cancel": f"/api/batches/{batch.pk}/cancel/",
        "resume": f"/api/batches/{batch.pk}/resume/",
        "rerun": f"/api/batches/{batch.pk}/rerun/",
        "retry": f"/api/batches/{batch.pk}/retry/",
        "page": f"/batches/{batch.pk}/",
        "csv": f"/api/batches/{batch.pk}/export.csv",
        "json": f"/api/batches/{batch.pk}/export.json",
        "parent": None,
        "children": [],
    }


@pytest.mark.django_db
def test_wiki_mode_and_timeout_are_taken_from_the_body(api_client, user, no_workers, settings):
    settings.WIKICHECK_ALLOWED_HOSTS = ["*.wikipedia.org"]

    german = "https://de.wikipedia.org/wiki/"

    post_json(
        api_client, BATCHES_URL, {"urls": ["Meer"], "wiki": german, "mode": "page", "timeout": 2.5}
    )

    batch = Batch.objects.get(owner=user)
    assert (batch.wiki, batch.mode, batch.timeout) == (german, "page", 2.5)
    assert batch.results.get().url == f"{german}Meer"


@pytest.mark.django_db
def test_token_scheme_is_accepted_like_bearer(token, no_workers):
    client = Client(headers={"Authorization": f"Token {token[1]}"})

    response = post_json(client, BATCHES_URL, {"urls": ["Ocean"]})

    assert response.status_code == 201


# --- Validation ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_refused_line_is_named_with_its_field_and_number(api_client, no_workers):
    urls = ["Ocean", "", "https://evil.example/wiki/X"]

    response = post_json(api_client, BATCHES_URL, {"urls": urls})

    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {
                "field": "urls",
                "line": 3,
                "message": "host evil.example is not an allowed wiki host",
            }
        ]
    }
    assert Batch.objects.count() == 0 and Result.objects.count() == 0


@pytest.mark.django_db
def test_every_refused_line_is_listed_beyond_the_forms_ten(api_client, no_workers):
    urls = ["https://evil.example/wiki/X"] * 12

    response = post_json(api_client, BATCHES_URL, {"urls": urls})

    assert [error["line"] for error in response.json()["errors"]] == list(range(1, 13))


@pytest.mark.django_db
def test_empty_list_asks_for_pages_as_the_form_does(api_client, no_workers):
    response = post_json(api_client, BATCHES_URL, {"urls": ["", "  "]})

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "urls", "message": "Enter at least one page URL or title, or upload a file."}
    ]


@pytest.mark.django_db
def test_a_lone_surrogate_is_refused_naming_its_line(api_client, no_workers):
    response = post_json(api_client, BATCHES_URL, {"urls": ["Ocean", "Sea\ud800water"]})

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": "urls",
            "line": 2,
            "message": "line contains a character that is not valid text (U+D800)",
        }
    ]


@pytest.mark.django_db
def test_a_body_that_is_not_utf8_is_refused_saying_so(api_client, no_workers):
    body = '{"urls": ["Café"]}'.encode("latin-1")

    response = api_client.post(BATCHES_URL, body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"message": "The body is not valid JSON: byte 15 is not UTF-8 text. Send JSON in UTF-8."}
    ]


@pytest.mark.django_db
def test_too_many_entries_are_refused_with_the_forms_message(api_client, no_workers, settings):
    settings.WIKICHECK_MAX_BATCH = 2

    response = post_json(api_client, BATCHES_URL, {"urls": ["A", "B", "C"]})

    assert response.status_code == 400
    assert response.json()["errors"][0]["message"].startswith(
        "3 entries; a batch holds at most 2. Line 3 is the first over the limit"
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"urls": ["Ocean"], "wiki": "https://evil.example/wiki/"}, "wiki", "evil.example"),
        ({"urls": ["Ocean"], "mode": "fast"}, "mode", "Select a valid choice"),
        ({"urls": ["Ocean"], "timeout": 0}, "timeout", "greater than or equal to 0.001"),
        ({"urls": ["Ocean"], "timeout": int("9" * 400)}, "timeout", "Enter a number"),
    ],
)
def test_other_fields_are_validated_by_the_form(api_client, no_workers, body, field, message):
    response = post_json(api_client, BATCHES_URL, body)

    [error] = response.json()["errors"]
    assert response.status_code == 400
    assert error["field"] == field
    assert message in error["message"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({}, "urls", "Send urls as a list of strings."),
        ({"urls": "Ocean\nIsland"}, "urls", "Send urls as a list of strings."),
        ({"urls": ["Ocean", 7]}, "urls", "Send urls as a list of strings."),
        ({"urls": ["Ocean"], "wiki": ["x"]}, "wiki", "Send wiki as a string"),
        ({"urls": ["Ocean"], "mode": 1}, "mode", 'Send mode as "api" or "page".'),
        ({"urls": ["Ocean"], "timeout": "5"}, "timeout", "Send timeout as a number"),
        ({"urls": ["Ocean"], "timeout": True}, "timeout", "Send timeout as a number"),
        ({"urls": ["Ocean"], "timout": 5}, "timout", "Unknown field; expected urls, wiki"),
    ],
)
def test_malformed_submission_names_the_field(api_client, no_workers, body, field, message):
    response = post_json(api_client, BATCHES_URL, body)

    [error] = response.json()["errors"]
    assert response.status_code == 400
    assert error["field"] == field
    assert error["message"].startswith(message)


@pytest.mark.django_db
def test_entry_with_a_line_break_is_refused_so_line_numbers_stay_true(api_client, no_workers):
    response = post_json(api_client, BATCHES_URL, {"urls": ["Ocean", "Island\nShark"]})

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "urls", "line": 2, "message": "one entry per string: no line breaks"}
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"urls=Ocean", "The body is not valid JSON"),
        (b"\xff\xfe\x00", "The body is not valid JSON"),
        (b"[" * 100_000, "The body is not valid JSON: it is nested too deeply."),
        (b'["Ocean"]', "The body must be a JSON object"),
    ],
)
def test_body_that_is_not_a_json_object_is_refused(api_client, no_workers, raw, message):
    response = api_client.post(BATCHES_URL, raw, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["message"].startswith(message)


@pytest.mark.django_db
def test_form_encoded_body_is_an_unsupported_media_type(api_client, no_workers):
    response = api_client.post(BATCHES_URL, {"urls": "Ocean"})

    assert response.status_code == 415
    assert "Content-Type: application/json" in response.json()["errors"][0]["message"]


@pytest.mark.django_db
def test_body_over_the_upload_limit_is_refused(api_client, no_workers, settings):
    settings.WIKICHECK_MAX_UPLOAD_BYTES = 1000

    response = post_json(api_client, BATCHES_URL, {"urls": ["Ocean"] * 200})

    assert response.status_code == 413
    assert response.json()["errors"][0]["message"].startswith(
        "The submission is larger than 1,000 bytes."
    )
    assert Batch.objects.count() == 0


@pytest.mark.django_db
def test_body_far_over_the_limit_gets_json_from_the_middleware_unread(
    api_client, no_workers, settings, monkeypatch
):
    settings.WIKICHECK_MAX_UPLOAD_BYTES = 1000
    monkeypatch.setattr("checks.api.views.json_object", pytest.fail)

    response = post_json(api_client, BATCHES_URL, {"urls": ["Ocean"] * 20_000})

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert "so it was not read" in response.json()["errors"][0]["message"]


# --- Authentication and CSRF ---------------------------------------------------------------------


@pytest.mark.django_db
def test_session_post_needs_the_csrf_token(user, no_workers):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)

    refused = post_json(browser, BATCHES_URL, {"urls": ["Ocean"]})
    browser.get(reverse("home"))
    csrf_token = browser.cookies["csrftoken"].value
    accepted = post_json(
        browser, BATCHES_URL, {"urls": ["Ocean"]}, headers={"X-CSRFToken": csrf_token}
    )

    assert refused.status_code == 403
    assert refused.json()["errors"][0]["message"].startswith("CSRF check failed")
    assert accepted.status_code == 201
    assert Batch.objects.filter(owner=user).count() == 1


@pytest.mark.django_db
def test_session_get_needs_no_csrf_token(user):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)

    response = browser.get(BATCHES_URL)

    assert response.status_code == 200


@pytest.mark.django_db
def test_token_post_needs_no_csrf_token(api_client, no_workers):
    response = post_json(api_client, BATCHES_URL, {"urls": ["Ocean"]})

    assert response.status_code == 201
    assert "csrftoken" not in api_client.cookies


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", BATCHES_URL),
        ("post", BATCHES_URL),
        ("get", "detail"),
        ("post", "cancel"),
    ],
)
def test_anonymous_requests_get_401_not_a_login_redirect(client, user, method, url):
    batch = batch_of(user)
    url = {"detail": detail_url(batch), "cancel": cancel_url(batch)}.get(url, url)

    response = getattr(client, method)(url, content_type="application/json")

    assert response.status_code == 401
    assert response.json() == {"errors": [{"message": UNAUTHENTICATED}]}
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header",
    ["Bearer not-a-key", "Bearer ", "Basic YWxpY2U6cGFzcw==", "Bearer"],
)
def test_wrong_or_malformed_token_gets_401(token, header):
    response = Client(headers={"Authorization": header}).get(BATCHES_URL)

    assert response.status_code == 401
    assert response.json()["errors"][0]["message"]


@pytest.mark.django_db
def test_deleted_token_gets_401(api_client, token):
    token[0].delete()

    response = api_client.get(BATCHES_URL)

    assert response.status_code == 401
    assert "not valid" in response.json()["errors"][0]["message"]


@pytest.mark.django_db
def test_token_of_an_inactive_user_gets_401(api_client, user):
    user.is_active = False
    user.save()

    response = api_client.get(BATCHES_URL)

    assert response.status_code == 401


@pytest.mark.django_db
def test_wrong_token_is_not_rescued_by_a_session(user_client):
    response = user_client.get(BATCHES_URL, headers={"Authorization": "Bearer not-a-key"})

    assert response.status_code == 401


@pytest.mark.django_db
def test_token_use_is_recorded(api_client, token):
    api_client.get(BATCHES_URL)

    token[0].refresh_from_db()
    assert token[0].last_used_at is not None


# --- Ownership and methods -----------------------------------------------------------------------


@pytest.mark.django_db
def test_another_users_batch_is_not_found(api_client, other_user):
    batch = batch_of(other_user, results=1)

    response = api_client.get(detail_url(batch))

    assert response.status_code == 404
    assert response.json() == {"errors": [{"message": "No such batch."}]}


@pytest.mark.django_db
def test_another_users_batch_cannot_be_cancelled(api_client, other_user):
    batch = batch_of(other_user, results=1)

    response = api_client.post(cancel_url(batch))

    batch.refresh_from_db()
    assert response.status_code == 404
    assert batch.status == Batch.Status.RUNNING


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "url", "allow"),
    [
        ("get", "cancel", "POST"),
        ("put", "detail", "GET, PATCH, DELETE"),
        ("put", BATCHES_URL, "GET, POST"),
    ],
)
def test_wrong_method_gets_405_in_json(api_client, user, method, url, allow):
    batch = batch_of(user)
    url = {"detail": detail_url(batch), "cancel": cancel_url(batch)}.get(url, url)

    response = getattr(api_client, method)(url)

    assert response.status_code == 405
    assert response["Allow"] == allow
    assert "is not allowed here" in response.json()["errors"][0]["message"]


@pytest.mark.django_db
def test_unknown_api_address_gets_a_json_404_instead_of_a_redirect(api_client):
    response = post_json(api_client, "/api/batches", {"urls": ["Ocean"]})

    assert response.status_code == 404
    assert "/api/batches/" in response.json()["errors"][0]["message"]


# --- Cancelling ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_cancel_stops_a_running_batch(api_client, user, no_workers):
    batch_url = post_json(api_client, BATCHES_URL, {"urls": ["Ocean", "Island"]})["Location"]

    response = api_client.post(api_client.get(batch_url).json()["links"]["cancel"])

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["counts"]["cancelled"] == 2
    assert response.json()["pending"] == 0


@pytest.mark.django_db
def test_cancelling_an_ended_batch_is_a_conflict(api_client, user):
    batch = batch_of(user, status=Batch.Status.FINISHED)

    response = api_client.post(cancel_url(batch))

    assert response.status_code == 409
    assert response.json()["errors"][0]["message"] == "The batch had already ended: it is finished."


# --- Downloads -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_csv_download_works_with_a_token(api_client, user):
    batch = batch_of(user, results=2)

    response = api_client.get(reverse("api:batch_export_csv", args=[batch.pk]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "Page_1" in b"".join(response.streaming_content).decode()


@pytest.mark.django_db
def test_another_users_download_is_a_json_404(api_client, other_user):
    batch = batch_of(other_user, results=1)

    response = api_client.get(reverse("api:batch_export_json", args=[batch.pk]))

    assert response.status_code == 404
    assert response.json() == {"errors": [{"message": "Not found."}]}


@pytest.mark.django_db
def test_anonymous_download_gets_401(client, user):
    batch = batch_of(user, results=1)

    response = client.get(reverse("api:batch_export_csv", args=[batch.pk]))

    assert response.status_code == 401


@pytest.mark.django_db
def test_csv_download_of_one_status_holds_only_those_results(api_client, user):
    batch = batch_of(user, results=3)
    batch.results.filter(position=1).update(status=Result.Status.MISSING)

    response = api_client.get(
        reverse("api:batch_export_csv", args=[batch.pk]), {"status": "missing"}
    )

    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert response.status_code == 200
    assert [line.split(",")[2] for line in lines] == ["title", "Page 1"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name", ["api:batch_detail", "api:batch_export_csv", "api:batch_export_json"]
)
def test_an_unknown_status_is_refused_in_json_naming_the_statuses(api_client, user, name):
    batch = batch_of(user, results=1)

    response = api_client.get(reverse(name, args=[batch.pk]), {"status": "blue"})

    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["message"].startswith("Unknown status 'blue': use one of exists, missing,")
    assert "disambiguation" in error["message"]


# --- Results and their filters -------------------------------------------------------------------


@pytest.mark.django_db
def test_a_result_carries_what_the_wiki_said_of_its_page(api_client, user):
    batch = batch_of(user, results=1)
    batch.results.update(
        status=Result.Status.EXISTS,
        redirect_target="Mercury",
        page_id=19065,
        disambiguation=True,
        wikidata_item="Q1",
        length=4321,
        last_edited=datetime(2024, 12, 31, 23, 59, 58, 500000, tzinfo=UTC),
    )

    (result,) = api_client.get(detail_url(batch)).json()["results"]

    assert {name: result[name] for name in PAGE_INFO} == {
        "page_id": 19065,
        "disambiguation": True,
        "wikidata_item": "Q1",
        "length": 4321,
        "last_edited": "2024-12-31T23:59:58.500Z",
        "final_url": "",
    }


@pytest.mark.django_db
def test_a_result_of_a_page_not_found_has_no_page_info(api_client, user):
    batch = batch_of(user, results=1)
    batch.results.update(status=Result.Status.MISSING)

    (result,) = api_client.get(detail_url(batch)).json()["results"]

    assert {name: result[name] for name in PAGE_INFO} == {
        "page_id": None,
        "disambiguation": False,
        "wikidata_item": "",
        "length": None,
        "last_edited": None,
        "final_url": "",
    }


@pytest.mark.django_db
def test_results_carry_the_numbers_of_their_urls_and_the_first_as_sent(
    api_client, user, no_workers
):
    urls = [" /wiki/Ocean", "Island", f"{WIKI}Ocean"]

    created = post_json(api_client, BATCHES_URL, {"urls": urls, "wiki": WIKI})
    results = api_client.get(created["Location"]).json()["results"]

    assert [(result["title"], result["lines"], result["entry"]) for result in results] == [
        ("Ocean", [1, 3], "/wiki/Ocean"),
        ("Island", [2], "Island"),
    ]


@pytest.mark.django_db
def test_results_of_one_status_are_listed_with_status(api_client, user):
    batch = batch_of(user, results=4)
    batch.results.filter(position__in=[0, 2]).update(status=Result.Status.MISSING)

    body = api_client.get(detail_url(batch), {"status": "missing"}).json()

    assert [result["title"] for result in body["results"]] == ["Page 0", "Page 2"]


@pytest.mark.django_db
def test_disambiguation_lists_disambiguation_pages_and_redirects_to_one(api_client, user):
    batch = batch_of(user, results=4)
    batch.results.filter(position=1).update(disambiguation=True)
    batch.results.filter(position=3).update(redirect_target="Mercury", disambiguation=True)
    batch.results.filter(position=2).update(redirect_target="Ocean")

    disambiguation = api_client.get(detail_url(batch), {"status": "disambiguation"}).json()
    redirects = api_client.get(detail_url(batch), {"status": "redirect"}).json()

    assert [result["title"] for result in disambiguation["results"]] == ["Page 1", "Page 3"]
    assert [result["title"] for result in redirects["results"]] == ["Page 2", "Page 3"]


@pytest.mark.django_db
def test_the_next_page_of_one_status_keeps_the_status(api_client, user):
    batch = batch_of(user, results=5)
    batch.results.exclude(position=2).update(status=Result.Status.MISSING)

    first = api_client.get(detail_url(batch), {"status": "missing", "page_size": 2}).json()
    second = api_client.get(first["next"]).json()

    assert [result["title"] for result in first["results"]] == ["Page 0", "Page 1"]
    assert [result["title"] for result in second["results"]] == ["Page 3", "Page 4"]


@pytest.mark.django_db
def test_counts_hold_disambiguation_pages_beside_the_statuses(api_client, user):
    batch = batch_of(user, exists_count=3, disambiguation_count=2, redirect_count=1)

    counts = api_client.get(detail_url(batch)).json()["counts"]

    assert (counts["exists"], counts["redirect"], counts["disambiguation"]) == (3, 1, 2)


# --- Pagination ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_results_are_paged_in_submission_order(api_client, user):
    batch = batch_of(user, results=250)
    titles, url = [], f"{detail_url(batch)}?page_size=100"

    while url:
        body = api_client.get(url).json()
        titles += [result["title"] for result in body["results"]]
        url = body["next"]

    assert titles == [f"Page {n}" for n in range(250)]


@pytest.mark.django_db
def test_results_page_size_defaults_to_100(api_client, user):
    batch = batch_of(user, results=101)

    body = api_client.get(detail_url(batch)).json()

    assert len(body["results"]) == 100
    assert body["next"] == f"{detail_url(batch)}?page=2"


@pytest.mark.django_db
def test_page_beyond_the_end_is_empty(api_client, user):
    batch = batch_of(user, results=3)

    body = api_client.get(f"{detail_url(batch)}?page=2").json()

    assert (body["results"], body["next"]) == ([], None)


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["page=0", "page=x", "page=-1", "page_size=1001", "page_size=0"])
def test_bad_paging_parameters_are_refused(api_client, user, query):
    batch = batch_of(user, results=3)

    response = api_client.get(f"{detail_url(batch)}?{query}")

    assert response.status_code == 400
    assert "must be a whole number from 1 to" in response.json()["errors"][0]["message"]


@pytest.mark.django_db
def test_batch_list_holds_only_the_users_batches_newest_first_in_pages(
    api_client, user, other_user
):
    oldest, middle, newest = batch_of(user), batch_of(user), batch_of(user)
    batch_of(other_user)

    first = api_client.get(f"{BATCHES_URL}?page_size=2").json()
    second = api_client.get(first["next"]).json()

    assert [b["id"] for b in first["results"]] == [str(newest.pk), str(middle.pk)]
    assert [b["id"] for b in second["results"]] == [str(oldest.pk)]
    assert second["next"] is None
    assert "results" not in first["results"][0]


# --- A large batch -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_5000_row_batch_is_read_with_a_bounded_number_of_queries(
    api_client, user, django_assert_max_num_queries
):
    batch = batch_of(user, results=BIG_BATCH_SIZE)

    # The token, the batch, the batches that checked it again, a page of results.
    with django_assert_max_num_queries(5):
        page = api_client.get(f"{detail_url(batch)}?page=5&page_size=1000").json()
    with django_assert_max_num_queries(5):
        listing = api_client.get(BATCHES_URL).json()

    assert page["results"][-1]["title"] == "Page 4999"
    assert page["next"] is None
    assert listing["results"][0]["total"] == BIG_BATCH_SIZE


# --- Tokens in the admin -------------------------------------------------------------------------


@pytest.mark.django_db
def test_adding_a_token_in_the_admin_shows_its_key_once_and_stores_its_hash(admin_client, user):
    added = admin_client.post(
        reverse("admin:checks_apitoken_add"),
        {"user": user.pk, "name": "nightly script"},
        follow=True,
    )
    key = re.search(r"<code>([\w-]+)</code>", added.content.decode())[1]
    again = admin_client.get(reverse("admin:checks_apitoken_changelist"))

    token = ApiToken.objects.get()
    assert (token.user, token.name) == (user, "nightly script")
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in again.content.decode()
    assert "nightly script" in again.content.decode()
    listed = Client(headers={"Authorization": f"Bearer {key}"}).get(BATCHES_URL)
    assert listed.status_code == 200


@pytest.mark.django_db
def test_token_change_page_never_shows_the_key_hash(admin_client, token):
    response = admin_client.get(reverse("admin:checks_apitoken_change", args=[token[0].pk]))

    assert response.status_code == 200
    assert token[0].key_hash not in response.content.decode()
    assert 'name="key_hash"' not in response.content.decode()


# --- A list that lives on the wiki ---------------------------------------------------------------


@pytest.fixture
def api_wiki(fake_wiki, settings):
    settings.WIKICHECK_API_PATHS = [(f"127.0.0.1:{fake_wiki.port}", "/w/api.php")]
    return fake_wiki


@pytest.mark.django_db
def test_links_of_a_page_are_submitted_and_answered_with_their_source(api_client, api_wiki):
    body = {"links_of": "Links 30", "namespaces": [0, 10]}

    response = post_json(api_client, BATCHES_URL, body)

    answer = response.json()
    assert response.status_code == 201
    assert (answer["status"], answer["total"]) == ("finished", 29)
    assert answer["source"] == {"kind": "links", "title": "Links 30", "namespaces": [0, 10]}
    assert dict(api_wiki.api_generator_requests) == {"links": 1}


@pytest.mark.django_db
def test_a_categorys_members_are_submitted_by_its_url(api_client, api_wiki):
    body = {"category": f"{api_wiki.url}/wiki/Category:Members_40"}

    answer = post_json(api_client, BATCHES_URL, body).json()

    assert (answer["total"], answer["counts"]["exists"]) == (40, 40)
    assert answer["source"]["kind"] == "category"


@pytest.mark.django_db
def test_a_batch_of_entries_has_no_source(api_client, user, no_workers):
    answer = post_json(api_client, BATCHES_URL, {"urls": ["Ocean"]}).json()

    assert answer["source"] is None


@pytest.mark.django_db
def test_a_missing_source_is_a_400_naming_its_field_and_nothing_is_stored(api_client, api_wiki):
    response = post_json(api_client, BATCHES_URL, {"links_of": "Missing list"})

    [error] = response.json()["errors"]
    assert response.status_code == 400
    assert error == {
        "field": "links_of",
        "message": f"the page Missing list does not exist on 127.0.0.1:{api_wiki.port}",
    }
    assert Batch.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"links_of": ["Links 5"]}, "links_of", "Send links_of as a page's title or URL."),
        ({"category": 7}, "category", "Send category as a page's title or URL."),
        ({"links_of": "Links 5", "namespaces": "0"}, "namespaces", "Send namespaces as a list"),
    ],
)
def test_a_malformed_source_names_the_field(api_client, api_wiki, body, field, message):
    response = post_json(api_client, BATCHES_URL, body)

    [error] = response.json()["errors"]
    assert response.status_code == 400
    assert error["field"] == field
    assert error["message"].startswith(message)


@pytest.mark.django_db
def test_each_count_is_keyed_as_the_status_filter_that_lists_it(api_client, user):
    batch = batch_of(user, exists_count=3, disambiguation_count=2, redirect_count=1)

    counts = api_client.get(detail_url(batch)).json()["counts"]

    assert set(counts) == set(FILTER_KEYS)
    for key in counts:
        assert api_client.get(detail_url(batch), {"status": key}).status_code == 200, key


@pytest.mark.django_db
def test_the_api_and_the_json_export_key_their_counts_alike_as_status_filters(api_client, user):
    batch = batch_of(user, exists_count=3, redirect_count=1)

    api_counts = api_client.get(detail_url(batch)).json()["counts"]
    export = api_client.get(reverse("api:batch_export_json", args=[batch.pk]))

    export_counts = json.loads(b"".join(export.streaming_content))["batch"]["counts"]
    assert list(api_counts) == list(export_counts) == list(FILTER_KEYS)
    assert api_counts == export_counts
