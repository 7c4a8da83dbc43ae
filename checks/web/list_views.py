"""The saved lists' pages: the user's lists, one list with its runs and chart, saving, running
and deleting one; and one page's history across the user's batches."""

import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from checks.batches import HostsNotAllowed
from checks.intake.reading import lines_numbered
from checks.models import Batch, SavedList
from checks.quotas import QuotaExceeded
from checks.watch.chart import RUNS_CHARTED, runs_chart
from checks.watch.history import page_history
from checks.watch.lists import (
    NameTaken,
    RunRefused,
    RunStillGoing,
    list_adopt,
    list_delete,
    list_run,
    list_save,
)
from checks.web.list_forms import ListForm, batch_initial

RUNS_PER_PAGE = 25
DELIVERIES_SHOWN = 10
PAGE_HISTORY_ROWS = 100
# What deleting a list does with its runs: the confirmation page's choices, the first the default.
DELETE_CHOICES = {
    "keep": "Keep its runs in your history, as ordinary batches",
    "delete": "Delete its runs too (one still being checked is cancelled first)",
}
# Why a list could not be run: its message says so.
RUN_REFUSALS = (RunRefused, QuotaExceeded, HostsNotAllowed)


# --- Lists -------------------------------------------------------------------------------------


@require_GET
def list_list(request: HttpRequest) -> HttpResponse:
    """The user's lists, each with its schedule and its last run."""
    lists = _with_last_runs(SavedList.objects.filter(owner=request.user))
    return render(request, "checks/list_list.html", {"lists": lists})


@require_GET
def list_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A list: what it checks and when, its webhook's deliveries, the chart and page of its runs."""
    saved_list = _own_list(request, pk)
    runs = Paginator(saved_list.runs.all(), RUNS_PER_PAGE).get_page(request.GET.get("page"))
    ended = saved_list.runs.exclude(status=Batch.Status.RUNNING)[:RUNS_CHARTED]
    context = {
        "saved_list": saved_list,
        "entries": sum(1 for _ in lines_numbered(saved_list.entries)),
        "runs": runs,
        "chart": runs_chart(ended),
        "deliveries": saved_list.deliveries.select_related("batch")[:DELIVERIES_SHOWN],
    }
    return render(request, "checks/list_detail.html", context)


@require_http_methods(["GET", "POST"])
def list_create(request: HttpRequest) -> HttpResponse:
    """Save a new list and run it once; saved from a batch (?batch=), the batch is its first run
    instead."""
    batch = _batch_saved(request)
    if request.method == "POST":
        form = ListForm(request.POST, request.FILES, owner=request.user)
        saved_list = _saved(form, owner=request.user)
        if saved_list is not None:
            if batch is None:
                _first_run(request, saved_list)
            else:
                _adopt(request, saved_list, batch)
            return redirect(saved_list)
    else:
        initial = batch_initial(batch) if batch else None
        form = ListForm(initial=initial, owner=request.user)
    return render(request, "checks/list_form.html", {"form": form, "batch": batch})


@require_http_methods(["GET", "POST"])
def list_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a list; its runs so far stay its runs."""
    saved_list = _own_list(request, pk)
    if request.method == "POST":
        form = ListForm(request.POST, request.FILES, owner=request.user, saved_list=saved_list)
        if _saved(form, owner=request.user, saved_list=saved_list) is not None:
            messages.success(request, f"Saved the list “{saved_list.name}”.")
            return redirect(saved_list)
    else:
        form = ListForm(owner=request.user, saved_list=saved_list)
    return render(request, "checks/list_form.html", {"form": form, "saved_list": saved_list})


@require_POST
def list_run_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Run a list now: the new run's page, or the list's saying why not."""
    saved_list = _own_list(request, pk)
    try:
        return redirect(list_run(saved_list=saved_list))
    except RunStillGoing as exc:
        messages.info(request, f"{exc} Its run is the first one below.")
    except RUN_REFUSALS as exc:
        messages.error(request, str(exc))
    return redirect(saved_list)


@require_http_methods(["GET", "POST"])
def list_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask whether to keep the list's runs, then delete the list (and its runs if so chosen)."""
    saved_list = _own_list(request, pk)
    choice = request.POST.get("runs", "")
    if request.method == "POST" and choice in DELETE_CHOICES:
        name = saved_list.name
        if choice == "delete":
            deleted = list_delete(saved_list=saved_list, runs=True)
            messages.success(
                request, f"Deleted the list “{name}” and its {deleted} run{pluralize(deleted)}."
            )
        else:
            list_delete(saved_list=saved_list, runs=False)
            messages.success(
                request, f"Deleted the list “{name}”; its runs stay in your history as batches."
            )
        return redirect("list_list")
    context = {
        "saved_list": saved_list,
        "runs": saved_list.runs.count(),
        "choices": DELETE_CHOICES,
        # Only a form sent without the (required) choice gets here by POST.
        "unchosen": request.method == "POST",
    }
    return render(request, "checks/list_delete.html", context)


def _saved(form: ListForm, *, owner, saved_list: SavedList | None = None) -> SavedList | None:
    """The list the form saved, or None when it is invalid (the form then says why)."""
    if not form.is_valid():
        return None
    try:
        return list_save(owner=owner, saved_list=saved_list, **form.list_fields())
    except NameTaken as exc:
        form.add_error("name", str(exc))
        return None


def _own_list(request: HttpRequest, pk: int) -> SavedList:
    return get_object_or_404(SavedList, pk=pk, owner=request.user)


def _with_last_runs(lists: QuerySet) -> list[SavedList]:
    """`lists`, each with `last_run` (its newest run, or None): two queries, however many."""
    newest = Batch.objects.filter(saved_list=OuterRef("pk")).order_by("-created_at")
    lists = list(lists.annotate(last_run_id=Subquery(newest.values("pk")[:1])))
    runs = Batch.objects.in_bulk([saved.last_run_id for saved in lists if saved.last_run_id])
    for saved in lists:
        saved.last_run = runs.get(saved.last_run_id)
    return lists


def _batch_saved(request: HttpRequest) -> Batch | None:
    """The user's batch that ?batch= names, to save as a list; None without one."""
    if "batch" not in request.GET:
        return None
    try:
        pk = uuid.UUID(request.GET["batch"])
    except ValueError:
        raise Http404("No such batch.") from None
    return get_object_or_404(Batch, pk=pk, owner=request.user)


def _first_run(request: HttpRequest, saved_list: SavedList) -> None:
    """Run a new list at once, so that its page has a run to show; a refusal keeps the list."""
    try:
        list_run(saved_list=saved_list)
    except RUN_REFUSALS as exc:
        messages.warning(request, f"Saved the list “{saved_list.name}”, but it was not run: {exc}")
        return
    messages.success(request, f"Saved the list “{saved_list.name}”; its first run has started.")


def _adopt(request: HttpRequest, saved_list: SavedList, batch: Batch) -> None:
    """Make the batch the list was saved from its first run, unless it is another list's."""
    when = f"{timezone.localtime(batch.created_at):%Y-%m-%d %H:%M}"
    if batch.saved_list_id is not None:
        messages.info(
            request,
            f"Saved the list “{saved_list.name}”. The batch of {when} stays a run of the list "
            f"“{batch.saved_list}”: run this one to start its history.",
        )
        return
    list_adopt(saved_list=saved_list, batch=batch)
    messages.success(
        request, f"Saved the list “{saved_list.name}”, with the batch of {when} as its first run."
    )


# --- One page's history ------------------------------------------------------------------------


@require_GET
def page_history_view(request: HttpRequest) -> HttpResponse:
    """How each of the user's batches that checked a page (?url=) found it, newest first."""
    url = request.GET.get("url", "").strip()
    history = page_history(owner=request.user, url=url, limit=PAGE_HISTORY_ROWS) if url else None
    return render(request, "checks/page_history.html", {"url": url, "history": history})
