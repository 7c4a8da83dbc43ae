"""Thin views: parse the request, call one function or query, render a template or a partial."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HTMX_STOP_POLLING

from checks import exports
from checks.batches import batch_cancel, batch_create, batch_rerun, batch_retry
from checks.forms import BatchForm
from checks.models import Batch

# Results per page of the batch page; a poll sends at most the rest of the page shown.
RESULTS_PER_PAGE = 100
HISTORY_PAGE_SIZE = 25
RECENT_ON_HOME = 5


@require_http_methods(["GET", "POST"])
def home(request: HttpRequest) -> HttpResponse:
    """Show the submit form and recent batches; create a batch from a valid submission."""
    form = BatchForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        batch = batch_create(
            owner=request.user,
            entries=form.cleaned_data["entries"],
            wiki=form.cleaned_data["wiki"],
            mode=form.cleaned_data["mode"],
            timeout=form.cleaned_data["timeout"],
            duplicates=form.cleaned_data["duplicates"],
        )
        return redirect(batch)
    return _home_page(request, form)


@require_GET
def batch_list(request: HttpRequest) -> HttpResponse:
    """The user's batches, newest first."""
    batches = Batch.objects.filter(owner=request.user)
    page = Paginator(batches, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "checks/batch_list.html", {"page": page})


@require_GET
def batch_detail(request: HttpRequest, pk: str) -> HttpResponse:
    """A batch's progress and a page of its results in the order they completed."""
    batch = get_object_or_404(Batch, pk=pk, owner=request.user)
    context = _progress_context(batch, page=_number(request, "page", default=1), cursor=0)
    return render(request, "checks/batch_detail.html", context)


@require_GET
def batch_progress(request: HttpRequest, pk: str) -> HttpResponse:
    """The polled fragment: counts, and the page's results completed since the client's cursor."""
    batch = get_object_or_404(Batch, pk=pk, owner=request.user)
    context = _progress_context(
        batch,
        page=_number(request, "page", default=1),
        cursor=_number(request, "after", default=0),
    )
    response = render(request, "checks/batch_detail.html#poll", context)
    if not context["polling"]:
        response.status_code = HTMX_STOP_POLLING
    return response


@require_POST
def batch_cancel_view(request: HttpRequest, pk: str) -> HttpResponse:
    """Stop a running batch: no new checks start, finished results stay."""
    batch = get_object_or_404(Batch, pk=pk, owner=request.user)
    if batch_cancel(batch=batch):
        messages.success(request, "Batch cancelled. Checks already under way are still stored.")
    else:
        messages.info(request, "The batch had already ended.")
    return redirect(batch)


@require_POST
def batch_rerun_view(request: HttpRequest, pk: str) -> HttpResponse:
    """Check every page of a batch again, as a new batch."""
    batch = get_object_or_404(Batch, pk=pk, owner=request.user)
    return redirect(batch_rerun(batch=batch, owner=request.user))


@require_POST
def batch_retry_view(request: HttpRequest, pk: str) -> HttpResponse:
    """Check the errors and unknowns of a batch again, as a new batch."""
    batch = get_object_or_404(Batch, pk=pk, owner=request.user)
    try:
        return redirect(batch_retry(batch=batch, owner=request.user))
    except ValueError as exc:
        messages.info(request, str(exc))
        return redirect(batch)


def _home_page(request: HttpRequest, form: BatchForm) -> HttpResponse:
    recent = Batch.objects.filter(owner=request.user)[:RECENT_ON_HOME]
    return render(request, "checks/home.html", {"form": form, "recent": recent})


def _progress_context(batch: Batch, *, page: int, cursor: int) -> dict:
    """Page `page` holds completion orders ((page - 1) * size, page * size]; of those, only
    the ones after `cursor` are fetched, so a poll sends at most one page of rows."""
    page_end = page * RESULTS_PER_PAGE
    cursor = max(cursor, page_end - RESULTS_PER_PAGE)
    results = list(batch.results.filter(completion_order__lte=page_end).completed_after(cursor))
    if results:
        cursor = results[-1].completion_order
    pages = max(1, -(-batch.done // RESULTS_PER_PAGE))
    return {
        "batch": batch,
        "results": results,
        "cursor": cursor,
        "page": page,
        "pages": pages,
        # Keep polling until the batch has settled and this page shows all it will hold.
        "polling": not batch.is_settled or cursor < min(batch.done, page_end),
    }


def _number(request: HttpRequest, name: str, *, default: int) -> int:
    try:
        return max(int(request.GET.get(name, default)), default)
    except ValueError:
        return default


# --- Exports -------------------------------------------------------------------------------------


@require_GET
def batch_export_csv(request: HttpRequest, pk: str) -> StreamingHttpResponse:
    """Download the batch's results as CSV, streamed in submission order."""
    batch = get_object_or_404(Batch, pk=pk, owner=request.user)
    return _download(
        exports.csv_chunks(batch),
        batch=batch,
        extension="csv",
        content_type="text/csv; charset=utf-8",
    )


@require_GET
def batch_export_json(request: HttpRequest, pk: str) -> StreamingHttpResponse:
    """Download the batch and its results as one JSON document, streamed in submission order."""
    batch = get_object_or_404(Batch, pk=pk, owner=request.user)
    return _download(
        exports.json_chunks(batch), batch=batch, extension="json", content_type="application/json"
    )


def _download(chunks, *, batch: Batch, extension: str, content_type: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(chunks, content_type=content_type)
    filename = exports.export_filename(batch, extension)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
