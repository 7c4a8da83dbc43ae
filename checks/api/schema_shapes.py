"""The shapes the API's OpenAPI description names, what the API answers and what it is sent,
built from the code's own lists (statuses, count keys, submission fields) so they cannot drift."""

from checks.api.list_serializers import LIST_FIELDS, RUN_FIELDS
from checks.api.serializers import BATCH_FIELDS, LINK_ROUTES
from checks.exports import COLUMNS, FILTER_KEYS
from checks.models import Batch, Result, SavedList
from checks.watch.changes import KINDS

# --- Schema pieces -----------------------------------------------------------------------------

STRING = {"type": "string"}
INTEGER = {"type": "integer"}
NUMBER = {"type": "number"}
BOOLEAN = {"type": "boolean"}
UUID = {"type": "string", "format": "uuid"}
TIME = {"type": "string", "format": "date-time"}


def nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


def array(items: dict) -> dict:
    return {"type": "array", "items": items}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def strict(properties: dict, *, optional: tuple[str, ...] = ()) -> dict:
    """An object of exactly these properties, all of them present except `optional` ones."""
    return {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
        "additionalProperties": False,
    }


# --- What the API answers ----------------------------------------------------------------------

SOURCE = nullable(
    strict({"kind": {"enum": ["links", "category"]}, "title": STRING, "namespaces": array(INTEGER)})
)
BATCH = {
    "id": UUID,
    "name": STRING,
    "display_name": STRING,
    "status": {"enum": list(Batch.Status.values)},
    "mode": {"enum": list(Batch.Mode.values)},
    "wiki": STRING,
    "timeout": nullable(NUMBER),
    "created_at": TIME,
    "finished_at": nullable(TIME),
    "elapsed_seconds": NUMBER,
    "total": INTEGER,
    "duplicates": INTEGER,
    "done": INTEGER,
    "pending": INTEGER,
    "counts": ref("Counts"),
    "source": SOURCE,
    "parent": nullable(UUID),
}
BATCH_RESOURCE = {
    **BATCH,
    "links": strict(
        {name: STRING for name in [*LINK_ROUTES, "page"]}
        | {"parent": nullable(STRING), "children": array(STRING)}
    ),
}
# Each column's type where it is not a string.
RESULT_TYPES = {
    "position": INTEGER,
    "status": {"enum": list(Result.Status.values)},
    "http_status": nullable(INTEGER),
    "elapsed_ms": nullable(INTEGER),
    "checked_at": nullable(TIME),
    "completion_order": nullable(INTEGER),
    "page_id": nullable(INTEGER),
    "disambiguation": BOOLEAN,
    "length": nullable(INTEGER),
    "last_edited": nullable(TIME),
    "lines": array(INTEGER),
}
RESULT = {name: RESULT_TYPES.get(name, STRING) for name in COLUMNS}
CHANGE = strict({"url": STRING, "title": STRING, "before": STRING, "after": STRING})
LIST = {
    "id": INTEGER,
    "name": STRING,
    "entries": nullable(INTEGER),
    "source": SOURCE,
    "wiki": STRING,
    "mode": {"enum": list(Batch.Mode.values)},
    "timeout": nullable(NUMBER),
    "schedule": {"enum": list(SavedList.Schedule.values)},
    "next_run_at": nullable(TIME),
    "schedule_note": STRING,
    "webhook": STRING,
    "webhook_secret": STRING,
    "created_at": TIME,
    "updated_at": TIME,
    "links": strict({"self": STRING, "run": STRING, "page": STRING}),
}
RUN_LINKS = strict({"self": STRING, "page": STRING})

SCHEMAS = {
    "Errors": strict(
        {
            "errors": array(
                strict(
                    {"message": STRING, "field": STRING, "line": INTEGER},
                    optional=("field", "line"),
                )
            )
        }
    ),
    "Counts": strict(dict.fromkeys(FILTER_KEYS, INTEGER)),
    "Batch": strict(BATCH_RESOURCE),
    "BatchCreated": strict(BATCH_RESOURCE | {"invalid": INTEGER}),
    "BatchResumed": strict(BATCH_RESOURCE | {"resumed": INTEGER}),
    "BatchDetail": strict(
        BATCH_RESOURCE
        | {
            "changes": nullable(strict(dict.fromkeys(KINDS, array(CHANGE)) | {"against": UUID})),
            "results": array(ref("Result")),
            "next": nullable(STRING),
        }
    ),
    "BatchPage": strict({"results": array(ref("Batch")), "next": nullable(STRING)}),
    "Result": strict(RESULT),
    "Export": strict({"batch": strict(BATCH), "results": array(ref("Result"))}),
    "List": strict(LIST),
    "ListDetail": strict(LIST | {"runs": array(ref("Run"))}),
    "ListCreated": strict(
        LIST | {"runs": array(ref("Run")), "run_refused": STRING}, optional=("run_refused",)
    ),
    "ListPage": strict({"results": array(ref("List")), "next": nullable(STRING)}),
    "Run": strict(
        {name: BATCH[name] for name in RUN_FIELDS}
        | {"changes_count": nullable(INTEGER), "links": RUN_LINKS}
    ),
    "RunStarted": strict({"batch": UUID, "links": RUN_LINKS}),
}

# --- What the API is sent ----------------------------------------------------------------------

SUBMISSION = {
    "urls": {**array(STRING), "description": "One entry per string: a title or a page URL."},
    "wiki": {**STRING, "description": "Bare titles are read on it; WIKICHECK_DEFAULT_WIKI."},
    "mode": {"enum": list(Batch.Mode.values)},
    "timeout": {**NUMBER, "description": "Seconds per request."},
    "links_of": {**STRING, "description": "Check every page this page links to (API mode)."},
    "category": {**STRING, "description": "Check every member of this category (API mode)."},
    "namespaces": {**array(INTEGER), "description": "links_of: only pages in these."},
    "name": {**STRING, "description": "The owner's name for it."},
    "schedule": {"enum": list(SavedList.Schedule.values)},
    "webhook": {**STRING, "description": "Gets a signed POST of each run's changes."},
}
SCHEMAS |= {
    "BatchSubmission": {
        "type": "object",
        "properties": {name: SUBMISSION[name] for name in BATCH_FIELDS},
        "additionalProperties": False,
    },
    "ListSubmission": {
        "type": "object",
        "properties": {name: SUBMISSION[name] for name in LIST_FIELDS},
        "required": ["name"],
        "additionalProperties": False,
    },
    "Rename": strict({"name": {**STRING, "description": "Empty: the name made of its pages."}}),
}
