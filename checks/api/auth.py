"""Who may call the API: a logged-in session (with its CSRF check) or an API token."""

import functools
from collections.abc import Callable

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt

from checks.api.http import ApiError
from checks.api.tokens import ApiToken

TOKEN_SCHEMES = ("bearer", "token")
UNAUTHENTICATED = "Authentication required: log in, or send Authorization: Bearer <token>"


def api_view(*methods: str, public: bool = False) -> Callable:
    """Make a function view an API endpoint: these methods only, authenticated (unless
    `public`), errors in JSON.

    Django's login redirect and CSRF middleware are switched off for the view and replaced:
    anonymous requests get a 401, session requests still pass the CSRF check, and token
    requests need none (a browser never adds the Authorization header on its own).
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            try:
                if request.method not in methods:
                    raise ApiError(
                        405,
                        f"{request.method} is not allowed here; use {' or '.join(methods)}.",
                        headers={"Allow": ", ".join(methods)},
                    )
                if not public:
                    request_authenticate(request)
                return view(request, *args, **kwargs)
            except ApiError as exc:
                return exc.response()
            except Http404:
                return ApiError(404, "Not found.").response()

        return login_not_required(csrf_exempt(wrapper))

    return decorator


def request_authenticate(request: HttpRequest) -> None:
    """Set request.user from the Authorization header, or keep the session's; else 401/403."""
    header = request.headers.get("Authorization")
    if header is not None:
        request.user = _token_user(header)
    elif not request.user.is_authenticated:
        raise _unauthorized(UNAUTHENTICATED)
    elif _csrf_refused(request):
        raise ApiError(
            403,
            "CSRF check failed: a request with the session cookie must send the csrftoken "
            "cookie's value in an X-CSRFToken header. Scripts should use a token instead.",
        )


def _token_user(header: str) -> AbstractBaseUser:
    scheme, _, key = header.strip().partition(" ")
    if scheme.lower() not in TOKEN_SCHEMES or not key.strip():
        raise _unauthorized("The Authorization header must be 'Bearer <token>'.")
    token = ApiToken.objects.for_key(key.strip())
    if token is None:
        raise _unauthorized("The token is not valid: it is wrong, deleted, or its user inactive.")
    token.touch()
    return token.user


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, message, headers={"WWW-Authenticate": 'Bearer realm="wikicheck"'})


def _csrf_refused(request: HttpRequest) -> bool:
    """Django's own CSRF check, as the middleware would have run it on a session request."""
    return CsrfViewMiddleware(lambda request: None).process_view(request, None, (), {}) is not None
