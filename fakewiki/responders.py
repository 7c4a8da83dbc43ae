"""What the fake wiki answers to a request for a page or for api.php, as plain values the HTTP
handler sends."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, quote, unquote

from fakewiki import api, faults
from fakewiki.titles import InvalidTitle, interwiki_url, title_parse

if TYPE_CHECKING:
    from fakewiki.server import FakeWiki


@dataclass(frozen=True)
class Request:
    method: str
    title: str | None  # None when the path names no page
    path: str = ""
    query: str = ""
    form: str = ""  # the body of a form POST
    accept_encoding: str | None = None
    # Known once counted (request_counted): the title fakewiki.faults may answer for and its
    # number among the requests for that title, and an api.php request's number among those.
    fault: str | None = None
    attempt: int = 0
    api_number: int = 0


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()


def page_title(target: str) -> str | None:
    """The page title a request target names, decoded the way MediaWiki decodes it."""
    path, _, query = target.partition("?")
    if path.startswith("/wiki/"):
        raw = unquote(path.removeprefix("/wiki/"), encoding="utf-8", errors="replace")
    elif path == "/w/index.php":
        raw = parse_qs(query, encoding="utf-8", errors="replace").get("title", [""])[0]
    else:
        return None
    return raw.replace("_", " ")


def request_counted(wiki: FakeWiki, request: Request, *, attempt: int) -> Request:
    """`request` with what the counters say of it. A page's title may be a fault, `attempt`
    being its number among that title's requests. An api.php request is counted here, before a
    fault may answer it; its fault is the first fault title among its `titles`, numbered among
    the api.php requests that asked for it."""
    if request.path != api.API_PATH:
        return replace(request, fault=request.title, attempt=attempt)
    params = api.params_parse(request.query, request.form)
    titles = api.titles_sent(params)
    generator = params.get("generator")
    number = wiki.api_request_counted(titles=titles, generator=generator)
    # A generator's `titles` are its source, not pages asked about.
    fault = faults.fault_title(titles) if generator is None else None
    if fault is None:
        return replace(request, api_number=number)
    return replace(
        request,
        # Its mode read as a page's path is read, underscores as spaces.
        fault=fault.replace("_", " "),
        attempt=wiki.api_title_requests(fault),
        api_number=number,
    )


# --- Responders --------------------------------------------------------------------------------
# Tried in order; the first that returns a Reply answers. `Fault:<mode>` titles never get here,
# nor api.php requests asking about one: fakewiki.faults answers them, HEAD included, whatever
# `head_status` says.


def rejected_head(wiki: FakeWiki, request: Request) -> Reply | None:
    if request.method == "HEAD" and wiki.head_status is not None:
        return Reply(wiki.head_status)
    return None


def api_query(wiki: FakeWiki, request: Request) -> Reply | None:
    """Answer /w/api.php as fakewiki.api says, with this wiki's counters and knobs."""
    if request.path != api.API_PATH:
        return None
    answer = api.api_answer(
        api.params_parse(request.query, request.form),
        lagged=request.api_number <= wiki.maxlag_failures,
        retry_after=wiki.maxlag_retry_after,
        prop_limit=wiki.prop_continue_after or None,
        edits=wiki.edits,
    )
    body, headers = api.answer_encode(answer, accept_encoding=request.accept_encoding)
    return Reply(200, body, api.CONTENT_TYPE, headers)


def redirect_page(wiki: FakeWiki, request: Request) -> Reply | None:
    """A redirect page leads where api.php says it does: to itself, round a loop, or to another
    wiki for an interwiki target, as MediaWiki sends readers there; a deleted one is missing."""
    if request.title is None:
        return None
    try:
        redirect = wiki.edits.redirect_target(title_parse(request.title))
    except InvalidTitle:
        return None
    if redirect is None:
        return None
    target, fragment = redirect
    if target.interwiki:
        location = interwiki_url(target)
    else:
        location = "/wiki/" + quote(target.text.replace(" ", "_"), safe="/:(),")
    if fragment:
        location += "#" + quote(fragment.replace(" ", "_"), safe="/:(),")
    return Reply(301, headers=(("Location", location),))


def wiki_page(wiki: FakeWiki, request: Request) -> Reply | None:
    if request.title is None:
        return None
    status = 404 if wiki.edits.page_missing(request.title) else 200
    heading = html.escape(request.title)
    text = "This page does not exist." if status == 404 else "A page of the fake wiki."
    body = (
        f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{heading} - Fake wiki</title>'
        f"</head><body><h1>{heading}</h1><p>{text}</p></body></html>\n"
    )
    return Reply(status, body.encode(), "text/html; charset=utf-8")


RESPONDERS: tuple[Callable[[FakeWiki, Request], Reply | None], ...] = (
    rejected_head,
    api_query,
    redirect_page,
    wiki_page,
)


def respond(wiki: FakeWiki, request: Request) -> Reply:
    for responder in RESPONDERS:
        reply = responder(wiki, request)
        if reply is not None:
            return reply
    return Reply(404, b"Not found\n")
