"""The fake wiki's MediaWiki Action API: the answer to one `/w/api.php?action=query&titles=A|B|C`
request, as MediaWiki's formatversion=2 JSON (rules in fakewiki/README.md)."""

import gzip
import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl

from fakewiki.titles import InvalidTitle, Title, is_missing, redirect_target, title_parse

API_PATH = "/w/api.php"
CONTENT_TYPE = "application/json; charset=utf-8"
TITLES_LIMIT = 50
LAG_HOST = "db1"
LAG_SECONDS = 7
SERVED_BY = "fakewiki"


@dataclass(frozen=True)
class Answer:
    payload: dict[str, object]
    headers: tuple[tuple[str, str], ...] = ()


# --- Pages -------------------------------------------------------------------------------------


def page_id(title: Title) -> int:
    return zlib.crc32(title.text.encode())


def page_info(title: Title) -> dict[str, object]:
    """The entry of `pages` for a valid title that is not an interwiki link."""
    if title.ns < 0:
        info: dict[str, object] = {"ns": title.ns, "title": title.text, "special": True}
        if is_missing(title.name):
            info["missing"] = True
        return info
    if redirect_target(title) is not None:
        return {"pageid": page_id(title), "ns": title.ns, "title": title.text, "redirect": True}
    if is_missing(title.text):
        return {"ns": title.ns, "title": title.text, "missing": True}
    return {"pageid": page_id(title), "ns": title.ns, "title": title.text}


# --- Requests and answers ----------------------------------------------------------------------


def params_parse(query: str, form: str = "") -> dict[str, str]:
    """The parameters of a query string and a form body; the form's win, as in PHP's $_REQUEST."""
    pairs = parse_qsl(query, keep_blank_values=True) + parse_qsl(form, keep_blank_values=True)
    return dict(pairs)


def titles_sent(params: Mapping[str, str]) -> list[str]:
    titles = params.get("titles", "")
    return titles.split("|") if titles else []


def query_result(titles: list[str], *, resolve_redirects: bool) -> dict[str, object]:
    """The answer to `action=query` for `titles`, as MediaWiki's formatversion=2 writes it."""
    normalized: dict[str, str] = {}
    redirects: dict[str, dict[str, str]] = {}
    interwiki: dict[str, str] = {}
    pages: dict[str, dict[str, object]] = {}
    for sent in titles:
        try:
            title = title_parse(sent)
        except InvalidTitle as invalid:
            pages.setdefault(
                sent, {"title": sent, "invalidreason": invalid.reason, "invalid": True}
            )
            continue
        if title.text != sent:
            normalized.setdefault(sent, title.text)
        while resolve_redirects and (redirect := redirect_target(title)) is not None:
            target, fragment = redirect
            step = {"from": title.text, "to": target.text}
            if fragment:
                step["tofragment"] = fragment
            if target.interwiki:
                step["tointerwiki"] = target.interwiki
            redirects.setdefault(title.text, step)
            title = target
        if title.interwiki:
            interwiki.setdefault(title.text, title.interwiki)
        else:
            pages.setdefault(title.text, page_info(title))
    query: dict[str, object] = {}
    if normalized:
        query["normalized"] = [
            {"fromencoded": False, "from": sent, "to": text} for sent, text in normalized.items()
        ]
    if redirects:
        query["redirects"] = list(redirects.values())
    if interwiki:
        query["interwiki"] = [{"title": text, "iw": iw} for text, iw in interwiki.items()]
    if pages:
        query["pages"] = list(pages.values())
    return {"batchcomplete": True, "query": query}


def error_answer(
    code: str, info: str, *, headers: tuple[tuple[str, str], ...] = (), **details: object
) -> Answer:
    payload = {"error": {"code": code, "info": info, **details}, "servedby": SERVED_BY}
    return Answer(payload, (("MediaWiki-API-Error", code), *headers))


def api_answer(params: Mapping[str, str], *, lagged: bool, retry_after: int) -> Answer:
    """The answer to one api.php request; `lagged` makes a request carrying `maxlag` fail."""
    # MediaWiki checks the action, then the lag, then the action's own parameters.
    action = params.get("action")
    if action is None:
        return error_answer("missingparam", 'The "action" parameter must be set.')
    if action != "query":
        return error_answer("badvalue", f'Unrecognized value for parameter "action": {action}.')
    if lagged and "maxlag" in params:
        return error_answer(
            "maxlag",
            f"Waiting for {LAG_HOST}: {LAG_SECONDS} seconds lagged.",
            headers=(("Retry-After", str(retry_after)), ("X-Database-Lag", str(LAG_SECONDS))),
            host=LAG_HOST,
            lag=LAG_SECONDS,
        )
    titles = titles_sent(params)
    if not titles:
        return error_answer("missingparam", 'The "titles" parameter must be set.')
    if len(titles) > TITLES_LIMIT:
        return error_answer(
            "toomanyvalues",
            f'Too many values supplied for parameter "titles". The limit is {TITLES_LIMIT}.',
            parameter="titles",
            limit=TITLES_LIMIT,
        )
    # Like every MediaWiki boolean, `redirects` is true when present, whatever its value.
    result = query_result(titles, resolve_redirects="redirects" in params)
    return Answer(result)


def answer_encode(
    answer: Answer, *, accept_encoding: str | None
) -> tuple[bytes, tuple[tuple[str, str], ...]]:
    """The body and headers of `answer`: compact UTF-8 JSON, gzip-compressed if accepted."""
    body = json.dumps(answer.payload, ensure_ascii=False, separators=(",", ":")).encode()
    headers = (*answer.headers, ("Vary", "Accept-Encoding"))
    if "gzip" in (accept_encoding or "").lower():
        return gzip.compress(body, mtime=0), (*headers, ("Content-Encoding", "gzip"))
    return body, headers
