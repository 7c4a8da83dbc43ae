"""Hostile query strings never make a server error: every page and API endpoint, every one of
its query parameters, set to values no form would send, answers below 500."""

from urllib.parse import quote

import pytest
from django.urls import reverse

from checks.models import Batch, Result, SavedList

WIKI = "https://en.wikipedia.org/wiki/"
# Values as they appear in a query string (already percent-encoded where they need to be).
HOSTILE_VALUES = [
    "",
    "0",
    "-1",
    "1",
    "2147483648",
    "-9223372036854775809",
    "9" * 40,
    "1e309",
    "NaN",
    "1.5",
    "%EF%BC%91",  # a full-width digit one: isdigit() says yes, int() says yes too
    "9999-12-31",
    "0001-01-01",
    "10000-01-01",
    "0000-00-00",
    "2025-02-30",
    "%00",
    "a%00b",
    "%ED%A0%80",  # a lone surrogate, encoded as if it were a character
    "%FF%FE",
    "%C0%AF",
    "x" * 5000,
    quote("<script>alert(1)</script>"),
    quote("' OR 1=1--"),
    "unknown",
    "..%2F..%2Fetc%2Fpasswd",
    "%E2%80%AE",
]
# Every page, by its name, with the query parameters it reads (and the admin's own).
BATCH_PAGES = {
    "batch_detail": ["page", "status", "order"],
    "batch_progress": ["page", "after", "status", "order"],
    "batch_export_csv": [],
    "batch_export_json": [],
    "batch_delete": [],
    "api:batch_detail": ["page", "page_size", "status", "q"],
    "api:batch_export_csv": [],
    "api:batch_export_json": [],
    "admin:checks_batch_change": ["_changelist_filters"],
    "admin:checks_batch_delete": [],
}
PAGES = {
    "home": [],
    "batch_list": ["q", "status", "since", "until", "page"],
    "login": ["next"],
    "api:batch_collection": ["page", "page_size"],
    "admin:index": [],
    "admin:checks_batch_changelist": [
        "q",
        "status__exact",
        "created_at__gte",
        "created_at__lt",
        "created_at__year",
        "created_at__month",
        "created_at__day",
        "o",
        "p",
        "all",
        "e",
        "_to_field",
        "_popup",
    ],
    "admin:checks_result_changelist": [
        "q",
        "status__exact",
        "checked_at__gte",
        "checked_at__lt",
        "batch__id__exact",
        "batch",
        "o",
        "p",
    ],
    "admin:checks_apitoken_changelist": ["q", "user__id__exact", "o", "p"],
    "api:list_collection": ["page", "page_size"],
    "list_list": [],
    "list_create": ["batch"],
    "page_history": ["url"],
    "token_list": [],
    "api:schema": [],
    "admin:checks_savedlist_changelist": ["q", "schedule__exact", "o", "p"],
    "admin:checks_delivery_changelist": ["q", "kind__exact", "status__exact", "o", "p"],
}
# Pages of one saved list, and the parameters they read.
LIST_PAGES = {
    "api:list_detail": ["runs"],
    "list_detail": ["page"],
    "list_edit": [],
    "list_delete": [],
    "admin:checks_savedlist_change": ["_changelist_filters"],
}
# Parameters no page reads: each page must ignore them.
UNKNOWN_PARAMETERS = ["x", "page[]"]


@pytest.fixture
def batch(admin_user) -> Batch:
    """A batch of the logged-in staff user with a result of every status."""
    statuses = list(Result.Status)
    batch = Batch.objects.create(
        owner=admin_user, wiki=WIKI, total=len(statuses), done=5, exists_count=5
    )
    Result.objects.bulk_create(
        Result(
            batch=batch,
            position=position,
            url=f"{WIKI}Page_{position}",
            title=f"Page {position}",
            status=status,
            completion_order=position + 1 if status in Result.CHECKED_STATUSES else None,
        )
        for position, status in enumerate(statuses)
    )
    return batch


def server_errors(client, path: str, parameters: list[str]) -> list[str]:
    """Requests to `path` with each parameter set to each hostile value, alone, repeated and
    all together; the ones answering 500 or more, with their status."""
    queries = [
        f"{name}={value}" for name in [*parameters, *UNKNOWN_PARAMETERS] for value in HOSTILE_VALUES
    ]
    queries += [f"{name}=1&{name}=-1&{name}=%00" for name in parameters]
    queries += ["&".join(f"{name}={value}" for name in parameters) for value in HOSTILE_VALUES]
    errors = []
    for query in queries:
        response = client.get(f"{path}?{query}")
        if response.status_code >= 500:
            errors.append(f"{response.status_code} {path}?{query[:200]}")
    return errors


@pytest.fixture
def fuzz_client(admin_client):
    """The staff user's browser: failures answer as they would in production."""
    admin_client.raise_request_exception = False
    return admin_client


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "parameters"), PAGES.items(), ids=list(PAGES))
def test_hostile_query_strings_never_make_a_server_error(fuzz_client, batch, name, parameters):
    path = reverse(name)

    errors = server_errors(fuzz_client, path, parameters)

    assert errors == []


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "parameters"), BATCH_PAGES.items(), ids=list(BATCH_PAGES))
def test_hostile_query_strings_on_a_batchs_pages_never_make_a_server_error(
    fuzz_client, batch, name, parameters
):
    path = reverse(name, args=[batch.pk])

    errors = server_errors(fuzz_client, path, parameters)

    assert errors == []


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "parameters"), LIST_PAGES.items(), ids=list(LIST_PAGES))
def test_hostile_query_strings_on_a_list_s_pages_never_make_a_server_error(
    fuzz_client, batch, name, parameters
):
    saved_list = SavedList.objects.create(owner=batch.owner, name="Fuzzed", wiki=WIKI)
    Batch.objects.filter(pk=batch.pk).update(saved_list=saved_list)

    errors = server_errors(fuzz_client, reverse(name, args=[saved_list.pk]), parameters)

    assert errors == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/admin/checks/result/?q=a%00b", "text/plain"), ("/api/batches/?page=%00", "application")],
)
def test_a_nul_in_the_query_string_is_refused_with_a_reason(fuzz_client, path, content_type):
    response = fuzz_client.get(path)

    assert response.status_code == 400
    assert response["Content-Type"].startswith(content_type)
    assert "NUL character" in response.content.decode()
