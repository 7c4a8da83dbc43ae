"""Cheap answers to the batch page's progress polls, so many pollers cannot starve the checks."""

# A fragment's polling URL carries a stamp, signed for the batch and the browser's session, of
# when the state it shows was read and when that session last passed the full login check.
# Rendered fragments are kept in Django's cache and shared by every poll of the same listing: a
# running batch's for WIKICHECK_POLL_SECONDS (so one render per listing and interval, whoever
# polls), a settled batch's until one of the fields it shows changes.
#
# `answer_early` runs before the session is read: a poll sooner than the interval gets 204 (htmx
# keeps what it shows), and one whose session passed the login check less than LOGIN_CHECK_SECONDS
# ago gets the listing's current fragment from the cache; neither touches the database. Any
# other poll goes through the session, the login check and the view. With the default cache
# (LocMemCache) each server process keeps its own fragments.

import hashlib
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404
from django.urls import Resolver404, resolve

from checks import conf
from checks.models import Batch

# The query parameter that carries the stamp.
STAMP = "seen"
# Rendered into shared fragments instead of what belongs to one browser (its CSRF token, its
# stamp); each answer gets its own in their place. Letters and dashes, so URL-safe.
CSRF_PLACEHOLDER = "wikicheck-csrf-placeholder"
STAMP_PLACEHOLDER = "wikicheck-stamp-placeholder"
# How long a session that passed the full login check may poll on without passing it again: a
# session ended meanwhile (logout) sees its own batch's progress for at most this long.
LOGIN_CHECK_SECONDS = 30
# A settled batch's fragment is kept this long after its last use, unless evicted first.
SETTLED_SECONDS = 3600
# Pollers of one listing tend to arrive together (a page's tabs, its first poll); one renders,
# the others wait for its answer. Striped, so the locks stay few whatever the listings.
_RENDER_LOCKS = [threading.Lock() for _ in range(64)]
# The form of a CSRF cookie's secret, as CsrfViewMiddleware accepts it.
_CSRF_SECRET = re.compile(r"[a-zA-Z0-9]{32}")


@dataclass(frozen=True)
class Answer:
    """A rendered fragment as the cache keeps it; `read_ms` is when its state was read."""

    batch_pk: str
    owner_pk: int
    status: int
    content: str
    read_ms: int

    def response(self, request: HttpRequest, *, login_checked_ms: int) -> HttpResponse:
        stamp = stamp_make(
            request=request,
            batch_pk=self.batch_pk,
            read_ms=self.read_ms,
            login_checked_ms=login_checked_ms,
        )
        content = self.content.replace(CSRF_PLACEHOLDER, get_token(request))
        return HttpResponse(content.replace(STAMP_PLACEHOLDER, stamp), status=self.status)


def now_ms() -> int:
    return int(time.time() * 1000)


def stamp_make(*, request: HttpRequest, batch_pk, read_ms: int, login_checked_ms: int) -> str:
    signer = _signer(batch_pk, request.COOKIES.get(settings.SESSION_COOKIE_NAME, ""))
    return signer.sign(f"{read_ms}:{login_checked_ms}")


def answer_early(request: HttpRequest) -> HttpResponse | None:
    """204 or the shared fragment for a poll its stamp vouches for; None: the full way."""
    batch_pk = _polled_batch(request)
    stamp = _stamp_read(request, batch_pk) if batch_pk else None
    if stamp is None:
        return None
    read_ms, login_checked_ms = stamp
    if abs(now_ms() - read_ms) < conf.current().poll_seconds * 1000:
        return HttpResponse(status=HTTPStatus.NO_CONTENT)
    if now_ms() - login_checked_ms >= LOGIN_CHECK_SECONDS * 1000 or not _csrf_cookie_use(request):
        return None
    answer = cache.get(listing_key(request=request, batch_pk=batch_pk))
    return answer.response(request, login_checked_ms=login_checked_ms) if answer else None


def answer_for(*, request: HttpRequest, batch_pk, render: Callable[[Batch], Answer]) -> Answer:
    """For a poll past the login check: a current fragment from the cache, else
    `render(batch)`, which the polls of the listing arriving meanwhile wait for."""
    key = listing_key(request=request, batch_pk=batch_pk)
    answer = _recent(key, owner_pk=request.user.pk)
    if answer is not None:
        return answer
    with _RENDER_LOCKS[hash(key) % len(_RENDER_LOCKS)]:
        answer = _recent(key, owner_pk=request.user.pk)
        if answer is None:
            batch = get_object_or_404(Batch, pk=batch_pk, owner=request.user)
            answer = _settled(key, batch) or render(batch)
            _store(key, batch, answer)
    return answer


def listing_key(*, request: HttpRequest, batch_pk) -> str:
    """The cache key of the fragment a poll asks for: the batch and every query parameter
    (they all shape the fragment's links), except the stamp."""
    query = urlencode(sorted((k, v) for k, vs in request.GET.lists() if k != STAMP for v in vs))
    return "wikicheck:poll:" + hashlib.sha256(f"{batch_pk}?{query}".encode()).hexdigest()


def _polled_batch(request: HttpRequest) -> str | None:
    if request.method != "GET" or STAMP not in request.GET:
        return None
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    return str(match.kwargs["pk"]) if match.url_name == "batch_progress" else None


def _stamp_read(request: HttpRequest, batch_pk: str) -> tuple[int, int] | None:
    signer = _signer(batch_pk, request.COOKIES.get(settings.SESSION_COOKIE_NAME, ""))
    try:
        read_ms, login_checked_ms = signer.unsign(request.GET[STAMP]).split(":")
        return int(read_ms), int(login_checked_ms)
    except (signing.BadSignature, ValueError):
        return None


def _csrf_cookie_use(request: HttpRequest) -> bool:
    """Read the CSRF cookie as CsrfViewMiddleware would have, so the fragment's forms get a
    token for it; False when there is none to use."""
    secret = request.COOKIES.get(settings.CSRF_COOKIE_NAME, "")
    if settings.CSRF_USE_SESSIONS or not _CSRF_SECRET.fullmatch(secret):
        return False
    request.META["CSRF_COOKIE"] = secret
    return True


def _recent(key: str, *, owner_pk: int) -> Answer | None:
    """A running batch's fragment rendered less than an interval ago, for its owner only."""
    answer = cache.get(key)
    return answer if answer is not None and answer.owner_pk == owner_pk else None


def _settled(key: str, batch: Batch) -> Answer | None:
    return cache.get(_settled_key(key, batch)) if batch.is_settled else None


def _store(key: str, batch: Batch, answer: Answer) -> None:
    if batch.is_settled:
        cache.set(_settled_key(key, batch), answer, SETTLED_SECONDS)
    else:
        cache.set(key, answer, conf.current().poll_seconds)


def _settled_key(key: str, batch: Batch) -> str:
    # Everything a settled batch's fragment shows follows from these; a late result stored
    # after a cancel changes `done`.
    version = f"{batch.status}:{batch.done}:{batch.cancelled_count}:{batch.finished_at}"
    return f"{key}:settled:{hashlib.sha256(version.encode()).hexdigest()[:16]}"


def _signer(batch_pk, session_key: str) -> signing.Signer:
    return signing.Signer(salt=f"wikicheck.poll:{batch_pk}:{session_key}")
