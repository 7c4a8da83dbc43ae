"""The JSON API: submit batches, follow their progress and results, cancel and download them.

Each view is an api_view (checks/api/auth.py): a session or a token, JSON errors.
"""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from checks.api.auth import api_view
from checks.api.http import ApiError, error_response, json_object, paginate
from checks.api.serializers import batch_changes_data, batch_form_data, batch_resource, form_errors
from checks.batches import QuotaExceeded, batch_cancel, batch_create
from checks.exports import result_data, results_in_order, status_filter
from checks.models import Batch
from checks.watch.changes import batch_changes
from checks.web import views
from checks.web.forms import BatchForm


@api_view("GET", "POST")
def batch_collection(request: HttpRequest) -> JsonResponse:
    """GET: the user's batches, newest first, a page at a time. POST: submit a batch."""
    if request.method == "POST":
        return _batch_submit(request)
    batches, next_url = paginate(request, Batch.objects.filter(owner=request.user))
    results = [batch_resource(batch) for batch in batches]
    return JsonResponse({"results": results, "next": next_url})


@api_view("GET")
def batch_detail(request: HttpRequest, pk: str) -> JsonResponse:
    """A batch's progress and counts, with a page of its results in submission order (those of
    one status only with ?status=)."""
    batch = _owned_batch(request, pk)
    rows, next_url = paginate(request, results_in_order(batch, status=_status(request)))
    results = [result_data(row) for row in rows]
    return JsonResponse(
        {
            **batch_resource(batch),
            "changes": batch_changes_data(batch_changes(batch=batch)),
            "results": results,
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


@api_view("GET")
def batch_export_csv(request: HttpRequest, pk: str) -> HttpResponse:
    """The batch page's CSV download, for token clients too; ?status= narrows it."""
    _status(request)  # refused here, in JSON, rather than by the page's view
    return views.batch_export_csv(request, pk)


@api_view("GET")
def batch_export_json(request: HttpRequest, pk: str) -> HttpResponse:
    """The batch page's JSON download, for token clients too; ?status= narrows it."""
    _status(request)
    return views.batch_export_json(request, pk)


@login_not_required
@csrf_exempt
def endpoint_not_found(request: HttpRequest) -> JsonResponse:
    """Any other address under /api/: a JSON 404 that lists the endpoints."""
    return error_response(
        404,
        {
            "message": "No such API endpoint. There are /api/batches/ and /api/batches/<id>/, "
            "and under the latter cancel/, export.csv and export.json; /api/lists/ and "
            "/api/lists/<id>/, and under the latter run/."
        },
    )


def _batch_submit(request: HttpRequest) -> JsonResponse:
    form = BatchForm(batch_form_data(json_object(request)))
    if not form.is_valid():
        raise ApiError(400, *form_errors(form))
    try:
        batch = batch_create(owner=request.user, **form.submission())
    except QuotaExceeded as exc:
        raise ApiError(429, str(exc), headers={"Retry-After": str(exc.retry_after)}) from None
    # How many lines became invalid-title rows, as the form's message says.
    data = {**batch_resource(batch), "invalid": form.invalid_lines}
    response = JsonResponse(data, status=201)
    response["Location"] = data["links"]["self"]
    return response


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
