"""Request-level guards and start-up: what must happen before any view runs."""

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import middleware as auth_middleware
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render, resolve_url
from django_htmx.http import HttpResponseClientRedirect

from checks import dispatch
from checks.api_http import error_response

# Room for the form's other fields and the multipart boundaries around an upload
# (settings.DATA_UPLOAD_MAX_MEMORY_SIZE allows the same).
MULTIPART_OVERHEAD = 64 * 1024


def submission_size_limit_middleware(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    # Placed before CsrfViewMiddleware, which reads request.POST and so would parse (and
    # spool to disk) the whole body first: an oversized body is judged by its declared length.
    def middleware(request: HttpRequest) -> HttpResponse:
        limit = settings.WIKICHECK_MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD
        if request.method == "POST" and _declared_length(request) > limit:
            message = (
                f"The submission is larger than {settings.WIKICHECK_MAX_UPLOAD_BYTES:,} bytes, "
                "so it was not read. Split it into smaller batches."
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


def workers_resume_middleware(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    # Not in AppConfig.ready(), which runs for every management command, and not at import
    # time, which may be before a fork: the first request is in the process that serves.
    def middleware(request: HttpRequest) -> HttpResponse:
        dispatch.work_resume()
        return get_response(request)

    return middleware


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
