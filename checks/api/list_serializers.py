"""The API's JSON of saved lists: a list in (as the data ListForm validates), lists and their runs
out with their links."""

from django.urls import reverse

from checks.api.http import ApiError
from checks.api.serializers import SUBMISSION_FIELDS, submission_data
from checks.exports import batch_data, iso_utc
from checks.intake.reading import lines_numbered
from checks.models import Batch, SavedList

# A list is a submission with a name, a schedule and a webhook.
LIST_FIELDS = ("name", *SUBMISSION_FIELDS, "schedule", "webhook")
# The text fields a list adds, and what each is asked to be sent as.
TEXT_FIELDS = {
    "name": "Send name as a string.",
    "schedule": 'Send schedule as "none", "hourly", "daily" or "weekly".',
    "webhook": "Send webhook as a URL string.",
}
# The runs a list's JSON shows, newest first; the batches API has them all.
RUNS_SHOWN = 25
# What a run says of its batch, as batch_data has it.
RUN_FIELDS = ("id", "status", "created_at", "finished_at", "total", "counts")


# --- In ----------------------------------------------------------------------------------------


def list_form_data(body: dict) -> dict:
    """The ListForm data a JSON list stands for: a submission's (batch_form_data), with the
    list's name, schedule (none by default) and webhook (none by default)."""
    data, errors = submission_data(body, fields=LIST_FIELDS)
    errors += [
        {"field": name, "message": message}
        for name, message in TEXT_FIELDS.items()
        if not isinstance(body.get(name, ""), str)
    ]
    if errors:
        raise ApiError(400, *errors)
    return data | {
        "name": body.get("name", ""),
        "schedule": body.get("schedule", SavedList.Schedule.NONE),
        "webhook": body.get("webhook", ""),
    }


# --- Out ---------------------------------------------------------------------------------------


def list_resource(saved_list: SavedList) -> dict:
    """A list as JSON has it: its pages (how many entries, or the source read at each run), how
    it is checked and scheduled, its webhook and signing secret, and where to act on it."""
    return {
        "id": saved_list.pk,
        "name": saved_list.name,
        "entries": None if saved_list.source_kind else _entries_count(saved_list),
        "source": _source_data(saved_list),
        "wiki": saved_list.wiki,
        "mode": saved_list.mode,
        "timeout": saved_list.timeout,
        "schedule": saved_list.schedule,
        "next_run_at": iso_utc(saved_list.next_run_at),
        "schedule_note": saved_list.schedule_note,
        "webhook": saved_list.webhook,
        # The list's own reader is its owner, who checks the webhook's signatures with it.
        "webhook_secret": saved_list.webhook_secret,
        "created_at": iso_utc(saved_list.created_at),
        "updated_at": iso_utc(saved_list.updated_at),
        "links": {
            "self": reverse("api:list_detail", args=[saved_list.pk]),
            "run": reverse("api:list_run", args=[saved_list.pk]),
            "page": saved_list.get_absolute_url(),
        },
    }


def list_detail_data(saved_list: SavedList) -> dict:
    """A list with its RUNS_SHOWN latest runs, newest first."""
    runs = saved_list.runs.order_by("-created_at")[:RUNS_SHOWN]
    return {**list_resource(saved_list), "runs": [run_data(batch) for batch in runs]}


def run_data(batch: Batch) -> dict:
    """A run of a list: its batch's state and counts, how many pages changed since the run
    before (null until the finished run is noticed), and where the batch is."""
    data = batch_data(batch)
    return {
        **{name: data[name] for name in RUN_FIELDS},
        "changes_count": batch.changes_count,
        "links": run_links(batch),
    }


def run_links(batch: Batch) -> dict:
    return {
        "self": reverse("api:batch_detail", args=[batch.pk]),
        "page": batch.get_absolute_url(),
    }


def _entries_count(saved_list: SavedList) -> int:
    return sum(1 for _ in lines_numbered(saved_list.entries))


def _source_data(saved_list: SavedList) -> dict | None:
    """Where the list's pages live on the wiki, or None for a list of entries."""
    if not saved_list.source_kind:
        return None
    namespaces = [int(number) for number in saved_list.source_namespaces.split(",") if number]
    return {"kind": saved_list.source_kind, "title": saved_list.source, "namespaces": namespaces}
