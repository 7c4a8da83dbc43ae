"""The API's OpenAPI 3.1 description, served at /api/schema/: every endpoint, its parameters,
bodies and answers, and how to authenticate.

Built from the code's own lists (statuses, count keys, submission fields) so that it cannot
drift from them; tests/integration/api/test_schema.py checks real answers against it.
"""

from functools import cache

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

# --- Operations --------------------------------------------------------------------------------

# The main refusals, by status; any other answers in the same shape ("default").
REFUSALS = {
    "400": "The request is refused: each error says why, with its field (and line).",
    "401": "No session and no token, or a token that is wrong or deleted.",
    "404": "No such batch or list, or another user's.",
    "409": "Not now: the batch or list, as it is, cannot do this (the message says why).",
    "413": "The body is larger than WIKICHECK_MAX_UPLOAD_BYTES.",
    "415": "The body is not sent as application/json.",
    "429": "Over a per-user limit; Retry-After says in how many seconds to try again.",
}
PAGING = [
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
    {"name": "page_size", "in": "query", "schema": {"type": "integer", "minimum": 1}},
]
STATUS_PARAMETER = {
    "name": "status",
    "in": "query",
    "description": "Only the results of this status (a key of counts).",
    "schema": {"enum": list(FILTER_KEYS)},
}
LOCATION = {"Location": {"schema": STRING, "description": "The new batch's or list's address."}}


def json_answer(schema: str, description: str, *, headers: dict | None = None) -> dict:
    answer = {"description": description, "content": {"application/json": {"schema": ref(schema)}}}
    return answer | ({"headers": headers} if headers else {})


def operation(
    summary: str,
    answers: dict,
    *,
    refusals: tuple[str, ...] = (),
    parameters: list | None = None,
    body: str | None = None,
) -> dict:
    """An operation answering `answers` on success, and the Errors shape for `refusals`."""
    responses = dict(answers)
    for status in ("401", *refusals):
        responses[status] = json_answer("Errors", REFUSALS[status])
    if "429" in refusals:
        retry = {"schema": INTEGER, "description": "Seconds to wait."}
        responses["429"]["headers"] = {"Retry-After": retry}
    responses["default"] = json_answer("Errors", "Any other refusal (405, 403 for CSRF, …).")
    spec = {"summary": summary, "responses": responses}
    if parameters:
        spec["parameters"] = parameters
    if body:
        content = {"application/json": {"schema": ref(body)}}
        spec["requestBody"] = {"required": True, "content": content}
    return spec


def path_id(name: str, schema: dict) -> dict:
    return {"parameters": [{"name": name, "in": "path", "required": True, "schema": schema}]}


NO_CONTENT = {"204": {"description": "Deleted."}}
BATCH_ID = path_id("id", UUID)
LIST_ID = path_id("id", INTEGER)
CHECK_AGAIN = {"201": json_answer("Batch", "The new batch, its parent linked.", headers=LOCATION)}


def _paths() -> dict:
    return {
        "/api/batches/": {
            "get": operation(
                "Your batches, newest first",
                {"200": json_answer("BatchPage", "A page of batches; next is the next page.")},
                refusals=("400",),
                parameters=PAGING,
            ),
            "post": operation(
                "Submit a batch",
                {"201": json_answer("BatchCreated", "The batch, started.", headers=LOCATION)},
                refusals=("400", "413", "415", "429"),
                body="BatchSubmission",
            ),
        },
        "/api/batches/{id}/": BATCH_ID
        | {
            "get": operation(
                "A batch and a page of its results in submission order",
                {"200": json_answer("BatchDetail", "The batch and a page of its results.")},
                refusals=("400", "404"),
                parameters=[
                    *PAGING,
                    STATUS_PARAMETER,
                    {
                        "name": "q",
                        "in": "query",
                        "description": "Only results whose title or URL contains it (any case).",
                        "schema": STRING,
                    },
                ],
            ),
            "patch": operation(
                "Rename a batch",
                {"200": json_answer("Batch", "The batch, renamed.")},
                refusals=("400", "404", "415"),
                body="Rename",
            ),
            "delete": operation(
                "Delete a batch and its results (cancelled first if it runs)",
                NO_CONTENT,
                refusals=("404",),
            ),
        },
        "/api/batches/{id}/cancel/": BATCH_ID
        | {
            "post": operation(
                "Cancel a running batch",
                {"200": json_answer("Batch", "The batch, cancelled.")},
                refusals=("404", "409"),
            )
        },
        "/api/batches/{id}/resume/": BATCH_ID
        | {
            "post": operation(
                "Check the rest of a cancelled batch, in the same batch",
                {"200": json_answer("BatchResumed", "The batch, running again.")},
                refusals=("404", "409", "429"),
            )
        },
        "/api/batches/{id}/rerun/": BATCH_ID
        | {
            "post": operation(
                "Check every page again, as a new batch",
                CHECK_AGAIN,
                refusals=("404", "409", "429"),
            )
        },
        "/api/batches/{id}/retry/": BATCH_ID
        | {
            "post": operation(
                "Check the errors and unknowns again, as a new batch",
                CHECK_AGAIN,
                refusals=("404", "409", "429"),
            )
        },
        "/api/batches/{id}/export.csv": BATCH_ID
        | {
            "get": operation(
                "The results as CSV, in submission order",
                {
                    "200": {
                        "description": "UTF-8 CSV with a byte order mark and a header row.",
                        "content": {"text/csv": {}},
                    }
                },
                refusals=("400", "404"),
                parameters=[STATUS_PARAMETER],
            )
        },
        "/api/batches/{id}/export.json": BATCH_ID
        | {
            "get": operation(
                "The batch and its results as one JSON document",
                {"200": json_answer("Export", "The batch's state and its results.")},
                refusals=("400", "404"),
                parameters=[STATUS_PARAMETER],
            )
        },
        "/api/lists/": {
            "get": operation(
                "Your lists, by name",
                {"200": json_answer("ListPage", "A page of lists; next is the next page.")},
                refusals=("400",),
                parameters=PAGING,
            ),
            "post": operation(
                "Save a list and start its first run",
                {"201": json_answer("ListCreated", "The list.", headers=LOCATION)},
                refusals=("400", "413", "415"),
                body="ListSubmission",
            ),
        },
        "/api/lists/{id}/": LIST_ID
        | {
            "get": operation(
                "A list, its schedule and its latest runs",
                {"200": json_answer("ListDetail", "The list and its runs, newest first.")},
                refusals=("404",),
            ),
            "delete": operation(
                "Delete a list; its runs too with runs=delete",
                NO_CONTENT,
                refusals=("400", "404"),
                parameters=[
                    {"name": "runs", "in": "query", "schema": {"enum": ["keep", "delete"]}}
                ],
            ),
        },
        "/api/lists/{id}/run/": LIST_ID
        | {
            "post": operation(
                "Run a list now",
                {"201": json_answer("RunStarted", "The run's batch.", headers=LOCATION)},
                refusals=("404", "409", "429"),
            )
        },
        "/api/schema/": {
            "get": {
                "summary": "This description",
                "security": [],
                "responses": {
                    "200": {
                        "description": "OpenAPI 3.1",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
    }


@cache
def api_schema() -> dict:
    """The OpenAPI document, made once per process."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "wikicheck",
            "version": "1",
            "description": "Check whether Wikipedia pages exist, in bulk. The README's "
            '"JSON API" section tells the same with examples.',
        },
        "paths": _paths(),
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "token": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A key from the API tokens page (/tokens/).",
                },
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "sessionid",
                    "description": "A logged-in browser; a POST, PATCH or DELETE also sends the "
                    "csrftoken cookie's value in an X-CSRFToken header.",
                },
            },
        },
        "security": [{"token": []}, {"session": []}],
    }
