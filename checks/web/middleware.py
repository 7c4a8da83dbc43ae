"""Request-level guards and start-up: what must happen before any view runs."""

import logging
from collections.abc import Callable

from django.contrib.auth import middleware as auth_middleware
from django.contrib.auth.views import redirect_to_login
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render, resolve_url
from django.template.loader import render_to_string
from django.utils.cache import patch_cache_control
from django_htmx.http import HttpResponseClientRedirect

from checks import conf
from checks.api.http import error_response
from checks.web import polling

logger = logging.getLogger(__name__)

# Room for the form's other fields and the multipart boundaries around an upload
# (settings.DATA_UPLOAD_MAX_MEMORY_SIZE allows the same).
MULTIPART_OVERHEAD = 64 * 1024


NUL_MESSAGE = "The address contains a NUL character (%00), which no page or search can hold."


def nul_in_query_middleware(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    # PostgreSQL refuses NUL in text, so a query parameter carrying one would fail in whichever
    # query it reaches (the admin's search and filters among them) with a 500: refuse it here.
    def middleware(request: HttpRequest) -> HttpResponse:
        if any("\x00" in key + "".join(values) for key, values in request.GET.lists()):
            if request.path_info.startswith("/api/"):
                return error_response(400, {"message": NUL_MESSAGE})
            return HttpResponse(NUL_MESSAGE, status=400, content_type="text/plain; charset=utf-8")
        return get_response(request)

    return middleware


def submission_size_limit_middleware(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    # Placed before CsrfViewMiddleware, which reads request.POST and so would parse (and
    # spool to disk) the whole body first: an oversized body is judged by its declared length.
    def middleware(request: HttpRequest) -> HttpResponse:
        limit = conf.current().max_upload_bytes
        if request.method == "POST" and _declared_length(request) > limit + MULTIPART_OVERHEAD:
            message = (
                f"The submission is larger than {limit:,} bytes, so it was not read. Split it "
                "into smaller batches."
            )
            if request.path_info.startswith("/api/"):
                return error_response(413, {"message": message})
            return render(
                request, "checks/request_too_large.html", {"request_error": message}, status=413
            )
        return get_response(request)

    return middleware


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class LoginRequiredMiddleware(auth_middleware.LoginRequiredMiddleware):
    """Django's, except that an htmx request sends the whole page to the login form.

    Otherwise a poll whose session ended would swap the login page into the progress fragment.
    """

    def handle_no_permission(self, request: HttpRequest, view_func) -> HttpResponse:
        if not request.htmx:
            return super().handle_no_permission(request, view_func)
        login = redirect_to_login(
            request.htmx.current_url_abs_path or "/",
            resolve_url(self.get_login_url(view_func)),
            self.get_redirect_field_name(view_func),
        )
        return HttpResponseClientRedirect(login.url)


# --- A database that stays locked ----------------------------------------------------------------

# Seconds a client is asked to wait before trying again when the database stayed busy.
BUSY_RETRY_AFTER_SECONDS = 5
BUSY_MESSAGE = "The database is busy, so this request was not carried out. Try again in a moment."
# PostgreSQL's "try again" errors: lock_not_available, serialization_failure, deadlock_detected.
RETRYABLE_SQLSTATES = frozenset({"55P03", "40001", "40P01"})


class DatabaseBusyMiddleware:
    """A view that could not get the database's lock in time answers 503 with Retry-After.

    SQLite admits one writer at a time, and a writer that waited out the busy timeout fails
    with "database is locked"; the request is fine, the moment is not. The API answers in JSON,
    the site with its page. Every other database error is still a server error.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not _database_busy(exception):
            return None
        logger.warning("database busy, answered 503 to %s %s", request.method, request.path)
        if request.path_info.startswith("/api/"):
            response = error_response(503, {"message": BUSY_MESSAGE})
        else:
            response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = str(BUSY_RETRY_AFTER_SECONDS)
        return response


def _database_busy(exception: Exception) -> bool:
    if not isinstance(exception, OperationalError):
        return False
    if "database is locked" in str(exception) or "database table is locked" in str(exception):
        return True
    return getattr(exception.__cause__, "sqlstate", None) in RETRYABLE_SQLSTATES


# --- Caching -------------------------------------------------------------------------------------


def private_cache_middleware(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    # A signed-in user's pages, downloads and API answers (errors too) show their batches: no
    # shared cache may keep them, and no browser may keep them on disk. Static files never get
    # here (whitenoise answers them first, with their long cache headers).
    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if request.path_info.startswith("/api/") or request.user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response

    return middleware


def poll_answer_middleware(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    # Before the session middleware: while a batch runs its pollers are most of the traffic,
    # and most polls are answered from their stamp and the cache (checks/web/polling.py) without
    # reading the session, loading the user or opening a database connection.
    def middleware(request: HttpRequest) -> HttpResponse:
        response = polling.answer_early(request)
        if response is None:
            return get_response(request)
        patch_cache_control(response, private=True, no_store=True)
        return response

    return middleware
