"""Thin views: parse the request, call one function or query, render a template or a partial."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HTMX_STOP_POLLING

from checks.batches import batch_cancel, batch_create, batch_rerun, batch_retry
from checks.forms import BatchForm
from checks.models import Batch

# Results sent per page load or poll; the next poll continues where this one stopped.
FEED_CHUNK = 500
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
    """A batch's progress and its results in the order they completed."""
    batch = get_object_or_404(Batch, pk=pk, owner=request.user)
    return render(request, "checks/batch_detail.html", _progress_context(batch, cursor=0))


@require_GET
def batch_progress(request: HttpRequest, pk: str) -> HttpResponse:
    """The polled fragment: counts, and the results completed since the client's cursor."""
    batch = get_object_or_404(Batch, pk=pk, owner=request.user)
    context = _progress_context(batch, cursor=_cursor(request))
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


def _progress_context(batch: Batch, *, cursor: int) -> dict:
    results = list(batch.results.completed_after(cursor)[:FEED_CHUNK])
    if results:
        cursor = results[-1].completion_order
    return {
        "batch": batch,
        "results": results,
        "cursor": cursor,
        # Keep polling until the batch is finished and every result has been sent.
        "polling": not batch.is_settled or cursor < batch.done,
    }


def _cursor(request: HttpRequest) -> int:
    try:
        return max(int(request.GET.get("after", 0)), 0)
    except ValueError:
        return 0
