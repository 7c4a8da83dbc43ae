"""The batch page's downloads: its results as CSV or JSON, and its titles as text to copy."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from checks import exports
from checks.models import Batch


@require_GET
def batch_export_csv(request: HttpRequest, pk: str) -> HttpResponse:
    """Download the batch's results as CSV, streamed in submission order; ?status= narrows them."""
    return _download(
        request,
        pk,
        chunks=exports.csv_chunks,
        extension="csv",
        content_type="text/csv; charset=utf-8",
    )


@require_GET
def batch_export_json(request: HttpRequest, pk: str) -> HttpResponse:
    """Download the batch and its results as one JSON document, streamed in submission order;
    ?status= narrows the results."""
    return _download(
        request, pk, chunks=exports.json_chunks, extension="json", content_type="application/json"
    )


@require_GET
def batch_titles(request: HttpRequest, pk: str) -> HttpResponse:
    """The titles of the batch's results, one per line in submission order, as plain text to
    copy; ?status= narrows them (the batch page's "Copy the missing titles")."""
    return _download(
        request,
        pk,
        chunks=exports.titles_chunks,
        extension="",
        content_type="text/plain; charset=utf-8",
    )


def _download(
    request: HttpRequest, pk: str, *, chunks: Callable, extension: str, content_type: str
) -> HttpResponse:
    """The chunks of the batch (of ?status=) streamed; a file to save with an `extension`, else
    shown in the browser."""
    batch = get_object_or_404(Batch, pk=pk, owner=request.user)
    try:
        status = exports.status_filter(request.GET.get("status", ""))
    except ValueError as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
    response = StreamingHttpResponse(chunks(batch, status=status), content_type=content_type)
    if extension:
        filename = exports.export_filename(batch, extension, status=status)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
