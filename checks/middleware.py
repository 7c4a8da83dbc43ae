"""Start checking left-over work in the serving process, on its first request."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from checks import runner


def workers_resume_middleware(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    # Not in AppConfig.ready(), which runs for every management command, and not at import
    # time, which may be before a fork: the first request is in the process that serves.
    def middleware(request: HttpRequest) -> HttpResponse:
        runner.workers_resume()
        return get_response(request)

    return middleware
