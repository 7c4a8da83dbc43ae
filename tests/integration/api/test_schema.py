"""The OpenAPI schema at /api/schema/: a valid OpenAPI 3.1 document that names every endpoint,
and that real answers of every endpoint, successes and refusals, match."""

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from openapi_core import OpenAPI
from openapi_core.contrib.django import DjangoOpenAPIRequest, DjangoOpenAPIResponse
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate

from checks.api.schema import api_schema
from checks.batches import batch_cancel, batch_create
from checks.intake.parsing import Entry
from checks.models import Batch, Result
from checks.watch.lists import list_save
from tests.integration.api.calls import WIKI, action_url, detail_url, patch_json, post_json

pytestmark = pytest.mark.usefixtures("no_workers")

SCHEMA_URL = "/api/schema/"


@pytest.fixture(scope="module")
def openapi() -> OpenAPI:
    return OpenAPI.from_dict(api_schema())


def described(openapi: OpenAPI, response) -> None:
    """Raise unless the answer is one the schema describes for its request, body and headers."""
    request = DjangoOpenAPIRequest(response.wsgi_request)
    openapi.validate_response(request, DjangoOpenAPIResponse(response))


def finished_with_errors(owner, *titles: str, failed: int = 1) -> Batch:
    """A finished batch of these titles on lines 1, 2, …; the first `failed` of them errors, the
    rest found behind a redirect; checked at a known time."""
    entries = [
        Entry(url=WIKI + title, title=title, lines=(n,)) for n, title in enumerate(titles, 1)
    ]
    batch = batch_create(owner=owner, entries=entries, wiki=WIKI, name="Seas")
    results = batch.results.order_by("position")
    for n, result in enumerate(results):
        result.status = Result.Status.ERROR if n < failed else Result.Status.EXISTS
        result.http_status = None if n < failed else 200
        result.redirect_target = "" if n < failed else "Sea"
        result.save()
    Batch.objects.filter(pk=batch.pk).update(
        status=Batch.Status.FINISHED,
        done=len(titles),
        error_count=failed,
        exists_count=len(titles) - failed,
        redirect_count=len(titles) - failed,
    )
    batch.refresh_from_db()
    return batch


def cancelled(owner) -> Batch:
    batch = batch_create(owner=owner, entries=[Entry(url=WIKI + "Ocean", title="Ocean")], wiki=WIKI)
    batch_cancel(batch=batch)
    return batch


def a_list(owner):
    return list_save(owner=owner, name="Seas", entries="Ocean\nIsland", wiki=WIKI, mode="api")


# --- The document --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_schema_is_a_valid_openapi_document_served_without_login(client):
    response = client.get(SCHEMA_URL)

    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.1")
    validate(response.json())


def test_every_route_of_the_api_is_described():
    resolver = get_resolver().url_patterns
    [api] = [entry for entry in resolver if getattr(entry, "namespace", None) == "api"]

    routes = {f"/api/{route}" for route in _routes(api) if route}

    assert routes == set(api_schema()["paths"])


def _routes(resolver: URLResolver, prefix: str = "") -> list[str]:
    """Every route under `resolver` as the schema writes it ({id}), but the catch-all 404."""
    routes = []
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern).replace("<uuid:pk>", "{id}").replace("<int:pk>", "{id}")
        if isinstance(entry, URLPattern):
            routes.append(route)
        else:
            routes += _routes(entry, route)
    return routes


# --- Answers -------------------------------------------------------------------------------------

# What a script does, and the status it gets: each answer must match the schema.
Call = Callable[[Client, object, object], object]
CALLS: dict[str, tuple[int, Call]] = {
    "list batches": (200, lambda api, user, other: api.get("/api/batches/")),
    "submit a batch": (
        201,
        lambda api, user, other: post_json(
            api, "/api/batches/", {"urls": ["Ocean", "Bad|title"], "name": "Seas"}
        ),
    ),
    "submit nothing": (400, lambda api, user, other: post_json(api, "/api/batches/", {})),
    "submit a form": (415, lambda api, user, other: api.post("/api/batches/", {"urls": "Ocean"})),
    "submit without a token": (
        401,
        lambda api, user, other: post_json(Client(), "/api/batches/", {"urls": ["Ocean"]}),
    ),
    "read a batch": (
        200,
        lambda api, user, other: api.get(detail_url(finished_with_errors(user, "Ocean", "Reef"))),
    ),
    "read a retry with its changes": (
        200,
        lambda api, user, other: api.get(
            _finished_retry(api, finished_with_errors(user, "Ocean", "Reef"))
        ),
    ),
    "search a batch": (
        200,
        lambda api, user, other: api.get(
            detail_url(finished_with_errors(user, "Ocean", "Reef")), {"q": "oc", "status": "error"}
        ),
    ),
    "filter by an unknown status": (
        400,
        lambda api, user, other: api.get(
            detail_url(finished_with_errors(user, "Ocean")), {"status": "gone"}
        ),
    ),
    "read another user's batch": (
        404,
        lambda api, user, other: api.get(detail_url(finished_with_errors(other, "Ocean"))),
    ),
    "rename a batch": (
        200,
        lambda api, user, other: patch_json(
            api, detail_url(finished_with_errors(user, "Ocean")), {"name": "Deep"}
        ),
    ),
    "rename with a name too long": (
        400,
        lambda api, user, other: patch_json(
            api, detail_url(finished_with_errors(user, "Ocean")), {"name": "x" * 201}
        ),
    ),
    "delete a batch": (
        204,
        lambda api, user, other: api.delete(detail_url(finished_with_errors(user, "Ocean"))),
    ),
    "cancel a running batch": (
        200,
        lambda api, user, other: api.post(
            post_json(api, "/api/batches/", {"urls": ["Ocean"]}).json()["links"]["cancel"]
        ),
    ),
    "cancel a finished batch": (
        409,
        lambda api, user, other: api.post(
            action_url(finished_with_errors(user, "Ocean"), "cancel")
        ),
    ),
    "check the rest": (
        200,
        lambda api, user, other: api.post(action_url(cancelled(user), "resume")),
    ),
    "check the rest of a finished batch": (
        409,
        lambda api, user, other: api.post(action_url(finished_with_errors(user, "A"), "resume")),
    ),
    "re-run a batch": (
        201,
        lambda api, user, other: api.post(action_url(finished_with_errors(user, "A"), "rerun")),
    ),
    "retry a batch": (
        201,
        lambda api, user, other: api.post(action_url(finished_with_errors(user, "A"), "retry")),
    ),
    "retry with nothing to retry": (
        409,
        lambda api, user, other: api.post(
            action_url(finished_with_errors(user, "A", failed=0), "retry")
        ),
    ),
    "download CSV": (
        200,
        lambda api, user, other: api.get(
            action_url(finished_with_errors(user, "A"), "export_csv"), {"status": "error"}
        ),
    ),
    "download JSON": (
        200,
        lambda api, user, other: api.get(
            action_url(finished_with_errors(user, "A"), "export_json")
        ),
    ),
    "download JSON of an unknown status": (
        400,
        lambda api, user, other: api.get(
            action_url(finished_with_errors(user, "A"), "export_json"), {"status": "gone"}
        ),
    ),
    "list lists": (200, lambda api, user, other: (a_list(user), api.get("/api/lists/"))[1]),
    "save a list": (
        201,
        lambda api, user, other: post_json(
            api, "/api/lists/", {"name": "Seas", "urls": ["Ocean"], "wiki": WIKI}
        ),
    ),
    "save a list without a name": (
        400,
        lambda api, user, other: post_json(api, "/api/lists/", {"urls": ["Ocean"]}),
    ),
    "read a list": (200, lambda api, user, other: api.get(f"/api/lists/{a_list(user).pk}/")),
    "delete a list": (
        204,
        lambda api, user, other: api.delete(f"/api/lists/{a_list(user).pk}/?runs=delete"),
    ),
    "run a list": (201, lambda api, user, other: api.post(f"/api/lists/{a_list(user).pk}/run/")),
    "run a list while its run goes on": (
        409,
        lambda api, user, other: _run_twice(api, a_list(user).pk),
    ),
    "read another user's list": (
        404,
        lambda api, user, other: api.get(f"/api/lists/{a_list(other).pk}/"),
    ),
    "read the schema": (200, lambda api, user, other: Client().get(SCHEMA_URL)),
}


def _run_twice(api: Client, pk: int):
    api.post(f"/api/lists/{pk}/run/")
    return api.post(f"/api/lists/{pk}/run/")


def _finished_retry(api: Client, batch: Batch) -> str:
    """The address of a finished retry of `batch`, whose answer holds its changes."""
    retry = api.post(action_url(batch, "retry")).json()
    Batch.objects.filter(pk=retry["id"]).update(status=Batch.Status.FINISHED)
    return retry["links"]["self"]


@pytest.mark.django_db
@pytest.mark.parametrize(("status", "call"), CALLS.values(), ids=list(CALLS))
def test_each_answer_is_as_the_schema_describes(
    openapi, api_client, user, other_user, status, call
):
    response = call(api_client, user, other_user)

    assert response.status_code == status
    described(openapi, response)


@pytest.mark.django_db
def test_an_answer_over_the_hourly_limit_is_as_the_schema_describes(openapi, api_client, settings):
    settings.WIKICHECK_USER_BATCHES_PER_HOUR = 1
    post_json(api_client, "/api/batches/", {"urls": ["Ocean"]})

    response = post_json(api_client, "/api/batches/", {"urls": ["Ocean"]})

    assert response.status_code == 429
    described(openapi, response)


@pytest.mark.django_db
def test_a_wrong_method_answers_the_schema_s_errors(api_client):
    errors = api_schema()["components"]["schemas"]["Errors"]

    response = api_client.put("/api/batches/")

    assert response.status_code == 405
    OAS31Validator(errors).validate(response.json())
