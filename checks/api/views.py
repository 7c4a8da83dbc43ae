"""The JSON API: submit batches, follow their progress and results, cancel, resume, rename,
re-run, retry, delete and download them.

Each view is an api_view (checks/api/auth.py): a session or a token, JSON errors.
"""

from collections.abc import Callable

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from checks.api.auth import api_view
from checks.api.http import ApiError, created, error_response, json_object, paginate, quota_refused
from checks.api.schema import api_schema
from checks.api.serializers import (
    batch_changes_data,
    batch_form_data,
    batch_name,
    batch_resource,
    batches_with_children,
    form_errors,
)
from checks.batches import (
    batch_cancel,
    batch_create,
    batch_delete,
    batch_rename,
    batch_rerun,
    batch_resume,
    batch_retry,
)
from checks.exports import result_data, results_in_order, status_filter
from checks.models import Batch
from checks.quotas import QuotaExceeded
from checks.watch.changes import batch_changes
from checks.web import export_views
from checks.web.forms import BatchForm


@api_view("GET", "POST")
def batch_collection(request: HttpRequest) -> JsonResponse:
    """GET: the user's batches, newest first, a page at a time. POST: submit a batch."""
    if request.method == "POST":
        return _batch_submit(request)
    owned = batches_with_children(Batch.objects.filter(owner=request.user))
    batches, next_url = paginate(request, owned)
    results = [batch_resource(batch) for batch in batches]
    return JsonResponse({"results": results, "next": next_url})


@api_view("GET", "PATCH", "DELETE")
def batch_detail(request: HttpRequest, pk: str) -> HttpResponse:
    """GET: a batch's progress and counts, with a page of its results in submission order (those
    of one status only with ?status=, those whose title or URL holds a text with ?q=).
    PATCH: rename it. DELETE: delete it and its results, cancelling it first if it runs."""
    batch = _owned_batch(request, pk)
    if request.method == "PATCH":
        return _batch_rename(request, batch)
    if request.method == "DELETE":
        batch_delete(batch=batch)
        return HttpResponse(status=204)
    results = results_in_order(batch, status=_status(request))
    if query := request.GET.get("q", "").strip():
        results = results.matching(query)
    rows, next_url = paginate(request, results)
    return JsonResponse(
        {
            **batch_resource(batch),
            "changes": batch_changes_data(batch_changes(batch=batch)),
            "results": [result_data(row) for row in rows],
            "next": next_url,
        }
    )


@api_view("POST")
def batch_cancel_view(request: HttpRequest, pk: str) -> JsonResponse:
    """Stop a running batch: no new checks start, finished results stay."""
    batch = _owned_batch(request, pk)
    if not batch_cancel(batch=batch):
        raise ApiError(409, f"The batch had already ended: it is {batch.status}.")
    batch.refresh_from_db()
    return JsonResponse(batch_resource(batch))


@api_view("POST")
def batch_resume_view(request: HttpRequest, pk: str) -> JsonResponse:
    """Check the rest: the pages a cancelled batch left unchecked, in the same batch."""
    batch = _owned_batch(request, pk)
    try:
        resumed = batch_resume(batch=batch)
    except QuotaExceeded as exc:
        raise quota_refused(exc) from None
    batch.refresh_from_db()
    if not resumed:
        raise ApiError(409, _nothing_to_resume(batch))
    return JsonResponse({**batch_resource(batch), "resumed": resumed})


@api_view("POST")
def batch_rerun_view(request: HttpRequest, pk: str) -> JsonResponse:
    """Check every page of a batch again, as a new batch linked to it."""
    return _check_again(request, pk, operation=batch_rerun)


@api_view("POST")
def batch_retry_view(request: HttpRequest, pk: str) -> JsonResponse:
    """Check the errors and unknowns of a batch again, as a new batch linked to it."""
    return _check_again(request, pk, operation=batch_retry)


@api_view("GET")
def batch_export_csv(request: HttpRequest, pk: str) -> HttpResponse:
    """The batch page's CSV download, for token clients too; ?status= narrows it."""
    _status(request)  # refused here, in JSON, rather than by the page's view
    return export_views.batch_export_csv(request, pk)


@api_view("GET")
def batch_export_json(request: HttpRequest, pk: str) -> HttpResponse:
    """The batch page's JSON download, for token clients too; ?status= narrows it."""
    _status(request)
    return export_views.batch_export_json(request, pk)


@api_view("GET", public=True)
def schema_view(request: HttpRequest) -> JsonResponse:
    """The API's OpenAPI 3.1 description, for anyone: it tells nothing about anyone's data."""
    return JsonResponse(api_schema())


@login_not_required
@csrf_exempt
def endpoint_not_found(request: HttpRequest) -> JsonResponse:
    """Any other address under /api/: a JSON 404 that points to the schema, which lists them."""
    return error_response(
        404,
        {
            "message": "No such API endpoint. /api/schema/ describes them all: /api/batches/ "
            "and /api/batches/<id>/, and under the latter cancel/, resume/, rerun/, retry/, "
            "export.csv and export.json; /api/lists/ and /api/lists/<id>/, and under the "
            "latter run/."
        },
    )


def _batch_submit(request: HttpRequest) -> JsonResponse:
    form = BatchForm(batch_form_data(json_object(request)))
    if not form.is_valid():
        raise ApiError(400, *form_errors(form))
    try:
        batch = batch_create(owner=request.user, **form.submission())
    except QuotaExceeded as exc:
        raise quota_refused(exc) from None
    # How many lines became invalid-title rows, as the form's message says.
    data = {**batch_resource(batch), "invalid": form.invalid_lines}
    return created(data)


def _batch_rename(request: HttpRequest, batch: Batch) -> JsonResponse:
    try:
        batch_rename(batch=batch, name=batch_name(json_object(request)))
    except ValueError as exc:
        raise ApiError(400, {"field": "name", "message": str(exc)}) from None
    return JsonResponse(batch_resource(batch))


def _check_again(request: HttpRequest, pk: str, *, operation: Callable[..., Batch]) -> JsonResponse:
    """Run a re-run or a retry: 201 with the new batch, or why there is none (nothing stored)."""
    batch = _owned_batch(request, pk)
    try:
        new_batch = operation(batch=batch, owner=request.user)
    except QuotaExceeded as exc:
        raise quota_refused(exc) from None
    except ValueError as exc:
        # Nothing is wrong with the request: there is nothing to retry, or the batch as stored
        # cannot be checked again now (HostsNotAllowed, its source unreadable).
        raise ApiError(409, str(exc)) from None
    data = batch_resource(new_batch)
    return created(data)


def _nothing_to_resume(batch: Batch) -> str:
    if batch.status != Batch.Status.CANCELLED:
        return f"Only a cancelled batch has pages left to check; this one is {batch.status}."
    if not batch.cancelled_count:
        return "Nothing is left to check in this batch: every page was checked."
    return "Checks of this batch are still under way; try again once they have ended."


def _status(request: HttpRequest) -> str:
    """The ?status= results are listed by ("" for all), or a 400 saying which there are."""
    try:
        return status_filter(request.GET.get("status", ""))
    except ValueError as exc:
        raise ApiError(400, str(exc)) from None


def _owned_batch(request: HttpRequest, pk: str) -> Batch:
    # Another user's batch is as absent as a batch that never existed.
    batch = Batch.objects.filter(pk=pk, owner=request.user).first()
    if batch is None:
        raise ApiError(404, "No such batch.")
    return batch
