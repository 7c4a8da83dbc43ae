"""Thin views: parse the request, call one function or query, render a template or a partial."""

import functools
from collections.abc import Callable
from http import HTTPStatus

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HTMX_STOP_POLLING

from checks import conf, exports
from checks.batches import (
    batch_cancel,
    batch_create,
    batch_delete,
    batch_rename,
    batch_rerun,
    batch_resume,
    batch_retry,
)
from checks.models import NAME_LENGTH, TALLIES, Batch
from checks.quotas import QuotaExceeded
from checks.watch.changes import batch_changes
from checks.web import polling
from checks.web.forms import BatchForm
from checks.web.history_forms import HistoryFilterForm
from checks.web.progress_bar import bar_segments

# The longest search of a batch's results: a title's length.
SEARCH_LENGTH = 512
# Results per page of the batch page; a poll sends at most the rest of the page shown.
RESULTS_PER_PAGE = 100
HISTORY_PAGE_SIZE = 25
RECENT_ON_HOME = 5
# How the batch page can list results; the first is the default, and the only one whose rows
# the poll appends (results arrive in completion order).
RESULT_ORDERS = {"completed": ("completion_order", "position"), "submitted": ("position",)}
# The heading of a listing of one status, as the count linking to it reads.
STATUS_LABELS = {key: label for key, _, label, _ in TALLIES}


@require_http_methods(["GET", "POST"])
def home(request: HttpRequest) -> HttpResponse:
    """Show the submit form and recent batches; create a batch from a valid submission."""
    # An empty POST is bound too, so that it is told what is missing.
    form = BatchForm(request.POST, request.FILES) if request.method == "POST" else BatchForm()
    if request.method == "POST" and form.is_valid():
        try:
            batch = batch_create(owner=request.user, **form.submission())
        except QuotaExceeded as exc:
            # The form keeps what was typed; nothing was stored.
            form.add_error(None, str(exc))
            response = _home_page(request, form)
            response.status_code = HTTPStatus.TOO_MANY_REQUESTS
            response["Retry-After"] = str(exc.retry_after)
            return response
        if form.invalid_lines:
            messages.warning(request, form.invalid_lines_message())
        return redirect(batch)
    return _home_page(request, form)


@require_GET
def batch_list(request: HttpRequest) -> HttpResponse:
    """The user's batches, newest first, narrowed by the search and filters of the form."""
    form = HistoryFilterForm(request.GET)
    batches = form.batches(Batch.objects.filter(owner=request.user))
    page = Paginator(batches, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "checks/batch_list.html", {"page": page, "form": form})


@require_GET
def batch_detail(request: HttpRequest, pk: str) -> HttpResponse:
    """A batch's progress and a page of its results, in completion order unless asked otherwise."""
    batch = get_object_or_404(
        Batch.objects.select_related("parent", "saved_list"), pk=pk, owner=request.user
    )
    context = _results_context(request, batch, poll=False)
    changes = batch_changes(batch=batch)
    children = batch.children.order_by("created_at")
    return render(
        request, "checks/batch_detail.html", {**context, "changes": changes, "children": children}
    )


@require_GET
def batch_progress(request: HttpRequest, pk: str) -> HttpResponse:
    """The polled fragment: counts, and the page's results completed since the client's cursor.

    Polls that checks/web/polling.py can answer from their stamp never get here; the others get
    this listing's fragment as another poll rendered it, if it is still current.
    """
    fragment_render = functools.partial(_progress_render, request)
    answer = polling.answer_for(request=request, batch_pk=pk, render=fragment_render)
    return answer.response(request, login_checked_ms=polling.now_ms())


def _progress_render(request: HttpRequest, batch: Batch) -> polling.Answer:
    read_ms = polling.now_ms()
    context = _results_context(request, batch, poll=True)
    # Shared by the batch's pollers: each answer gets its browser's CSRF token and stamp.
    context["csrf_token"] = polling.CSRF_PLACEHOLDER
    context["poll_stamp"] = polling.STAMP_PLACEHOLDER
    content = render_to_string("checks/batch_detail.html#poll", context, request)
    status = HTTPStatus.OK if context["polling"] else HTMX_STOP_POLLING
    return polling.Answer(
        batch_pk=str(batch.pk),
        owner_pk=batch.owner_id,
        status=status,
        content=content,
        read_ms=read_ms,
    )


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
def batch_rename_view(request: HttpRequest, pk: str) -> HttpResponse:
    """Give a batch a name of the owner's; an empty one names it after its first pages again."""
    batch = get_object_or_404(Batch, pk=pk, owner=request.user)
    try:
        batch_rename(batch=batch, name=request.POST.get("name", ""))
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Named “{batch.display_name}”.")
    return redirect(batch)


@require_POST
def batch_resume_view(request: HttpRequest, pk: str) -> HttpResponse:
    """Check the pages a cancelled batch left unchecked, in the same batch."""
    batch = get_object_or_404(Batch, pk=pk, owner=request.user)
    try:
        resumed = batch_resume(batch=batch)
    except QuotaExceeded as exc:
        messages.error(request, str(exc))
        return redirect(batch)
    if resumed:
        messages.success(request, f"Checking the {resumed} pages left unchecked.")
    else:
        messages.info(request, "Nothing is left to check in this batch now.")
    return redirect(batch)


@require_POST
def batch_rerun_view(request: HttpRequest, pk: str) -> HttpResponse:
    """Check every page of a batch again, as a new batch."""
    return _check_again(request, pk, operation=batch_rerun)


@require_POST
def batch_retry_view(request: HttpRequest, pk: str) -> HttpResponse:
    """Check the errors and unknowns of a batch again, as a new batch."""
    return _check_again(request, pk, operation=batch_retry)


def _check_again(request: HttpRequest, pk: str, *, operation: Callable[..., Batch]) -> HttpResponse:
    """Run a re-run or a retry: the new batch's page, or the old one's saying why not."""
    batch = get_object_or_404(Batch, pk=pk, owner=request.user)
    try:
        return redirect(operation(batch=batch, owner=request.user))
    except ValueError as exc:
        messages.info(request, str(exc))
        return redirect(batch)


@require_http_methods(["GET", "POST"])
def batch_delete_view(request: HttpRequest, pk: str) -> HttpResponse:
    """Ask for confirmation, then delete a batch and all its results."""
    batch = get_object_or_404(Batch, pk=pk, owner=request.user)
    if request.method == "POST":
        batch_delete(batch=batch)
        messages.success(request, f"Deleted the batch of {batch.total} pages.")
        return redirect("batch_list")
    return render(request, "checks/batch_delete.html", {"batch": batch})


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: the site's page, saying what to do, instead of Django's bare one."""
    return render(request, "403_csrf.html", status=403)


def _home_page(request: HttpRequest, form: BatchForm) -> HttpResponse:
    recent = Batch.objects.filter(owner=request.user)[:RECENT_ON_HOME]
    return render(request, "checks/home.html", {"form": form, "recent": recent})


def _results_context(request: HttpRequest, batch: Batch, *, poll: bool) -> dict:
    """The batch page's context for the listing the query asks for (?status=, ?q=, ?order=);
    a poll's also says whether the number of result pages (?pages=) has changed."""
    status = request.GET.get("status", "")
    if status not in exports.FILTER_KEYS:
        status = ""
    order = request.GET.get("order", "")
    if order not in RESULT_ORDERS:
        order = "completed"
    q = request.GET.get("q", "").strip()[:SEARCH_LENGTH]
    page = _number(request, "page", default=1)
    if status or q or order != "completed":
        context = _static_context(batch, page=page, status=status, q=q, order=order, rows=not poll)
    else:
        cursor = _number(request, "after", default=0) if poll else 0
        context = _live_context(batch, page=page, cursor=cursor)
    status_label = STATUS_LABELS.get(status, "")
    now_ms = polling.now_ms()
    return {
        **context,
        "status": status,
        "status_label": status_label,
        "q": q,
        "order": order,
        "bar": bar_segments(batch),
        "quarter": batch.percent // 25 * 25,
        "name_length": NAME_LENGTH,
        # A poll swaps the pages' links and, once the batch has settled, its actions, out of band.
        "oob": poll,
        "pages_shown": _number(request, "pages", default=1) if poll else context["pages"],
        "poll_seconds": conf.current().poll_seconds,
        "poll_stamp": polling.stamp_make(
            request=request, batch_pk=batch.pk, read_ms=now_ms, login_checked_ms=now_ms
        ),
    }


def _static_context(
    batch: Batch, *, page: int, status: str, q: str, order: str, rows: bool
) -> dict:
    """A page of a filtered or searched listing, or of submission order: its rows are not
    appended as they complete (they would land out of place), so a poll (`rows` False)
    refreshes only the counts."""
    listing = batch.results.with_status(status) if status else batch.results.all()
    if q:
        listing = listing.matching(q)
        count = listing.count()
    else:
        count = batch.count_of(status) if status else batch.total
    pages = max(1, -(-count // RESULTS_PER_PAGE))
    page = min(page, pages)
    results = []
    if rows:
        start = (page - 1) * RESULTS_PER_PAGE
        results = list(listing.order_by(*RESULT_ORDERS[order])[start : start + RESULTS_PER_PAGE])
    return {
        "batch": batch,
        "results": results,
        "cursor": 0,
        "page": page,
        "pages": pages,
        "live": False,
        "polling": not batch.is_settled,
    }


def _live_context(batch: Batch, *, page: int, cursor: int) -> dict:
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
        "live": True,
        # Keep polling until the batch has settled and this page shows all it will hold.
        "polling": not batch.is_settled or cursor < min(batch.done, page_end),
    }


def _number(request: HttpRequest, name: str, *, default: int) -> int:
    try:
        return max(int(request.GET.get(name, default)), default)
    except ValueError:
        return default
