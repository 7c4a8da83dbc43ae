"""The API's JSON: a submission in (as the data BatchForm validates), batches out with their links.

Batches and results have one JSON shape, the exports' (checks/exports.py).
"""

from collections.abc import Sequence

from django.core.exceptions import NON_FIELD_ERRORS
from django.db.models import Prefetch, QuerySet
from django.urls import reverse

from checks import conf
from checks.api.http import ApiError
from checks.exports import batch_data
from checks.intake.reading import LINE_BREAK
from checks.models import Batch
from checks.watch.changes import Changes, changes_data
from checks.web.forms import BatchForm

SUBMISSION_FIELDS = ("urls", "wiki", "mode", "timeout", "links_of", "category", "namespaces")
# A batch's submission may name it, as the form's Name field does.
BATCH_FIELDS = (*SUBMISSION_FIELDS, "name")
NAME_MESSAGE = "Send name as a string (an empty one goes back to the name made of its pages)."
# A batch's addresses in the API, by their names in its links.
LINK_ROUTES = {
    "self": "api:batch_detail",
    "cancel": "api:batch_cancel",
    "resume": "api:batch_resume",
    "rerun": "api:batch_rerun",
    "retry": "api:batch_retry",
    "csv": "api:batch_export_csv",
    "json": "api:batch_export_json",
}


# --- In ----------------------------------------------------------------------------------------


def batch_form_data(body: dict) -> dict:
    """The BatchForm data a JSON submission stands for: its `urls` are the form's lines, or
    `links_of` (with `namespaces`, a list of numbers) or `category` names the list on the wiki.

    Only the JSON's shape is checked here; everything else is the form's job, so the API
    and the form accept and refuse the same entries with the same messages.
    """
    data, errors = submission_data(body, fields=BATCH_FIELDS)
    name = body.get("name", "")
    if not isinstance(name, str):
        errors.append({"field": "name", "message": NAME_MESSAGE})
    if errors:
        raise ApiError(400, *errors)
    return data | {"name": name}


def batch_name(body: dict) -> str:
    """The name a rename's JSON body, `{"name": "..."}`, gives the batch."""
    errors = [
        {"field": field, "message": "Unknown field; expected name."}
        for field in body
        if field != "name"
    ]
    if not isinstance(body.get("name"), str):
        errors.append({"field": "name", "message": NAME_MESSAGE})
    if errors:
        raise ApiError(400, *errors)
    return body["name"]


def submission_data(body: dict, *, fields: Sequence[str]) -> tuple[dict, list[dict]]:
    """batch_form_data's data, and its refusals of the JSON's shape instead of raising them, for
    a body that may hold these `fields` (SUBMISSION_FIELDS and those of a form extending it)."""
    errors = [
        {"field": name, "message": f"Unknown field; expected {', '.join(fields)}."}
        for name in body
        if name not in fields
    ]
    source = _source_data(body, errors=errors)
    # A list on the wiki stands in for urls; sent together, the form refuses both.
    urls = body.get("urls", [] if {"links_of", "category"} & body.keys() else None)
    wiki = body.get("wiki")
    mode = body.get("mode")
    timeout = body.get("timeout")
    if not isinstance(urls, list) or not all(isinstance(url, str) for url in urls):
        errors.append({"field": "urls", "message": "Send urls as a list of strings."})
    else:
        # A line break inside an entry would shift the number of every line after it.
        errors += [
            {"field": "urls", "line": number, "message": "one entry per string: no line breaks"}
            for number, url in enumerate(urls, start=1)
            if LINE_BREAK.search(url)
        ]
    if wiki is not None and not isinstance(wiki, str):
        errors.append({"field": "wiki", "message": "Send wiki as a string, a wiki's page URL."})
    if mode is not None and not isinstance(mode, str):
        errors.append({"field": "mode", "message": 'Send mode as "api" or "page".'})
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int | float)):
        errors.append({"field": "timeout", "message": "Send timeout as a number of seconds."})
    if errors:
        return {}, errors
    data = source | {
        "urls": "\n".join(urls),
        "wiki": conf.current().default_wiki if wiki is None else wiki,
        "mode": mode or "",
        # As the text a form field would send: an integer too large for a float is then
        # refused as "Enter a number." rather than overflowing.
        "timeout": "" if timeout is None else str(timeout),
    }
    return data, []


def _source_data(body: dict, *, errors: list[dict]) -> dict:
    """The form's fields for a list that lives on the wiki; refusals of their shape go to
    `errors`."""
    data = {}
    for name in ("links_of", "category"):
        if name not in body:
            continue
        if isinstance(body[name], str):
            data[name] = body[name]
        else:
            errors.append({"field": name, "message": f"Send {name} as a page's title or URL."})
    namespaces = body.get("namespaces", [])
    if isinstance(namespaces, list) and all(
        isinstance(number, int) and not isinstance(number, bool) for number in namespaces
    ):
        data["namespaces"] = ",".join(map(str, namespaces))
    else:
        errors.append({"field": "namespaces", "message": "Send namespaces as a list of numbers."})
    return data


def form_errors(form: BatchForm) -> list[dict]:
    """The form's errors, each with its field, and its line where one line is at fault."""
    errors = [
        {"field": error.field, "line": error.number, "message": error.message}
        for error in form.line_errors
    ]
    for field, messages in form.errors.items():
        if field == NON_FIELD_ERRORS and form.line_errors:
            continue  # the line errors above, as text
        # The form's other errors about the entries as a whole: none, or too many.
        name = "urls" if field == NON_FIELD_ERRORS else field
        errors += [{"field": name, "message": message} for message in messages]
    return errors


# --- Out ---------------------------------------------------------------------------------------


def batch_resource(batch: Batch) -> dict:
    """A batch as JSON has it (exports.batch_data), and where to find or act on it, the batch it
    checks again and those that checked it again (newest first) included; no results."""
    return {
        **batch_data(batch),
        "links": {
            **{name: reverse(route, args=[batch.pk]) for name, route in LINK_ROUTES.items()},
            "page": batch.get_absolute_url(),
            "parent": reverse("api:batch_detail", args=[batch.parent_id])
            if batch.parent_id
            else None,
            # A staff member's re-run of someone's batch is theirs: its owner cannot open it.
            "children": [
                reverse("api:batch_detail", args=[child.pk])
                for child in batch.children.all()
                if child.owner_id == batch.owner_id
            ],
        },
    }


def batches_with_children(batches: QuerySet) -> QuerySet:
    """`batches`, the batches that checked each of them again read in one query for them all."""
    children = Batch.objects.only("pk", "owner_id", "parent_id", "created_at")
    return batches.prefetch_related(Prefetch("children", queryset=children))


def batch_changes_data(changes: Changes | None) -> dict | None:
    """A batch's changes against the batch it checks again, by kind; None without one."""
    return None if changes is None else changes_data(changes)
