"""The JSON API of saved lists: save one (its first run started), read them with their runs, run
one now, delete one with or without its runs.

Each view is an api_view (checks/api/auth.py): a session or a token, JSON errors.
"""

from django.http import HttpRequest, HttpResponse, JsonResponse

from checks.api.auth import api_view
from checks.api.http import ApiError, created, json_object, paginate, quota_refused
from checks.api.list_serializers import (
    list_detail_data,
    list_form_data,
    list_resource,
    run_links,
)
from checks.api.serializers import form_errors
from checks.batches import HostsNotAllowed
from checks.models import SavedList
from checks.quotas import QuotaExceeded
from checks.watch.lists import (
    NameTaken,
    RunRefused,
    RunStillGoing,
    list_delete,
    list_run,
    list_save,
)
from checks.web.list_forms import ListForm

# What ?runs= may ask of a deleted list's runs; they are kept unless asked.
RUNS_CHOICES = {"keep": False, "delete": True}


@api_view("GET", "POST")
def list_collection(request: HttpRequest) -> JsonResponse:
    """GET: the user's lists by name, a page at a time. POST: save a list and start its first
    run."""
    if request.method == "POST":
        return _list_create(request)
    lists, next_url = paginate(request, SavedList.objects.filter(owner=request.user))
    return JsonResponse({"results": [list_resource(item) for item in lists], "next": next_url})


@api_view("GET", "DELETE")
def list_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the list, its schedule and its latest runs. DELETE: the list, and its runs too with
    ?runs=delete (kept as ordinary batches by default)."""
    saved_list = _owned_list(request, pk)
    if request.method == "GET":
        return JsonResponse(list_detail_data(saved_list))
    runs = request.GET.get("runs", "keep")
    if runs not in RUNS_CHOICES:
        raise ApiError(400, f"runs must be {' or '.join(RUNS_CHOICES)}, not {runs!r}.")
    list_delete(saved_list=saved_list, runs=RUNS_CHOICES[runs])
    return HttpResponse(status=204)


@api_view("POST")
def list_run_view(request: HttpRequest, pk: int) -> JsonResponse:
    """Start a run of the list now: 201 with its batch, 409 while the last run is still going."""
    saved_list = _owned_list(request, pk)
    try:
        batch = list_run(saved_list=saved_list)
    except RunStillGoing as exc:
        raise ApiError(409, str(exc)) from None
    except QuotaExceeded as exc:
        raise quota_refused(exc) from None
    except (RunRefused, HostsNotAllowed) as exc:
        # Nothing is wrong with the request: the list, as it is stored, cannot be checked now.
        raise ApiError(409, str(exc)) from None
    data = {"batch": str(batch.pk), "links": run_links(batch)}
    return created(data)


def _list_create(request: HttpRequest) -> JsonResponse:
    """Save the list and start its first run, as the web form does; a first run that cannot
    start leaves the list saved, and the answer's run_refused says why."""
    form = ListForm(list_form_data(json_object(request)), owner=request.user)
    if not form.is_valid():
        raise ApiError(400, *form_errors(form))
    try:
        saved_list = list_save(owner=request.user, **form.list_fields())
    except NameTaken as exc:
        raise ApiError(400, {"field": "name", "message": str(exc)}) from None
    try:
        list_run(saved_list=saved_list)
    except (RunRefused, QuotaExceeded, HostsNotAllowed) as exc:
        refusal = {"run_refused": str(exc)}
    else:
        refusal = {}
    data = list_detail_data(saved_list) | refusal
    return created(data)


def _owned_list(request: HttpRequest, pk: int) -> SavedList:
    # Another user's list is as absent as a list that never existed.
    saved_list = SavedList.objects.filter(pk=pk, owner=request.user).first()
    if saved_list is None:
        raise ApiError(404, "No such list.")
    return saved_list
