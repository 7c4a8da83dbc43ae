"""The API's OpenAPI 3.1 description, served at /api/schema/: every endpoint, its parameters,
answers and refusals, and how to authenticate; the shapes it names are in schema_shapes."""

from functools import cache

from checks.api.schema_shapes import INTEGER, SCHEMAS, STRING, UUID, ref
from checks.exports import FILTER_KEYS

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

# --- Paths -------------------------------------------------------------------------------------

PATHS = {
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
            parameters=[{"name": "runs", "in": "query", "schema": {"enum": ["keep", "delete"]}}],
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
        "paths": PATHS,
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
