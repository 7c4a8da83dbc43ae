"""JSON over HTTP for the API: reading a request's JSON body and paging parameters, answering
errors in JSON."""

import json

from django.db.models import QuerySet
from django.http import HttpRequest, JsonResponse

from checks import conf
from checks.quotas import QuotaExceeded


def error_response(status: int, *errors: dict) -> JsonResponse:
    """`{"errors": [...]}`: each error has a message, and a field and line where they apply."""
    return JsonResponse({"errors": list(errors)}, status=status)


class ApiError(Exception):
    """Raised by an API view to answer with these errors; the api_view decorator renders it."""

    def __init__(self, status: int, *errors: dict | str, headers: dict | None = None) -> None:
        super().__init__(status, errors)
        self.status = status
        self.errors = [{"message": e} if isinstance(e, str) else e for e in errors]
        self.headers = headers or {}

    def response(self) -> JsonResponse:
        response = error_response(self.status, *self.errors)
        for name, value in self.headers.items():
            response[name] = value
        return response


def created(data: dict) -> JsonResponse:
    """201 with `data`, and a Location header at its links' self."""
    response = JsonResponse(data, status=201)
    response["Location"] = data["links"]["self"]
    return response


def quota_refused(exc: QuotaExceeded) -> ApiError:
    """429 with the quota's message and its Retry-After."""
    return ApiError(429, str(exc), headers={"Retry-After": str(exc.retry_after)})


def json_object(request: HttpRequest) -> dict:
    """The request's body as a JSON object, or an ApiError saying what is wrong with it."""
    if request.content_type != "application/json":
        raise ApiError(415, "Send a JSON body, with Content-Type: application/json.")
    limit = conf.current().max_upload_bytes
    if len(request.body) > limit:
        raise ApiError(
            413, f"The submission is larger than {limit:,} bytes. Split it into smaller batches."
        )
    try:
        body = json.loads(request.body)
    except UnicodeDecodeError as exc:
        raise ApiError(
            400,
            f"The body is not valid JSON: byte {exc.start + 1} is not UTF-8 text. "
            "Send JSON in UTF-8.",
        ) from None
    except ValueError as exc:
        raise ApiError(400, f"The body is not valid JSON: {exc}.") from None
    except RecursionError:
        raise ApiError(400, "The body is not valid JSON: it is nested too deeply.") from None
    if not isinstance(body, dict):
        raise ApiError(400, 'The body must be a JSON object, e.g. {"urls": ["Ocean"]}.')
    return body


# --- Paging ------------------------------------------------------------------------------------

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
# Keeps the OFFSET a page number makes within what the database's integers hold.
MAX_PAGE = 1_000_000


def paginate(request: HttpRequest, rows: QuerySet) -> tuple[list, str | None]:
    """The page of `rows` that ?page= (from 1) and ?page_size= ask for, and the next page's URL.

    One query, whatever the size of `rows`: one row more than the page is read, to know
    whether another page follows.
    """
    number = _query_int(request, "page", default=1, maximum=MAX_PAGE)
    size = _query_int(request, "page_size", default=DEFAULT_PAGE_SIZE, maximum=MAX_PAGE_SIZE)
    offset = (number - 1) * size
    items = list(rows[offset : offset + size + 1])
    if len(items) <= size or number == MAX_PAGE:
        return items[:size], None
    query = request.GET.copy()
    query["page"] = str(number + 1)
    return items[:size], f"{request.path}?{query.urlencode()}"


def _query_int(request: HttpRequest, name: str, *, default: int, maximum: int) -> int:
    value = request.GET.get(name, "")
    if not value:
        return default
    if not value.isdecimal() or not 1 <= int(value) <= maximum:
        raise ApiError(400, f"{name} must be a whole number from 1 to {maximum:,}.")
    return int(value)
