"""The fake wiki's MediaWiki Action API: the answer to one `/w/api.php?action=query` request, about
titles (`titles=A|B|C`) or a generator's pages, as MediaWiki's formatversion=2 JSON (rules in
fakewiki/README.md)."""

import gzip
import json
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl

from fakewiki.edits import NO_EDITS, Edits
from fakewiki.generators import Refused, generator_result
from fakewiki.query import PropRequest, query_result

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


def params_parse(query: str, form: str = "") -> dict[str, str]:
    """The parameters of a query string and a form body; the form's win, as in PHP's $_REQUEST."""
    pairs = parse_qsl(query, keep_blank_values=True) + parse_qsl(form, keep_blank_values=True)
    return dict(pairs)


def titles_sent(params: Mapping[str, str]) -> list[str]:
    titles = params.get("titles", "")
    return titles.split("|") if titles else []


def error_answer(
    code: str, info: str, *, headers: tuple[tuple[str, str], ...] = (), **details: object
) -> Answer:
    payload = {"error": {"code": code, "info": info, **details}, "servedby": SERVED_BY}
    return Answer(payload, (("MediaWiki-API-Error", code), *headers))


def api_answer(
    params: Mapping[str, str],
    *,
    lagged: bool,
    retry_after: int,
    prop_limit: int | None = None,
    edits: Edits = NO_EDITS,
) -> Answer:
    """The answer to one api.php request, with `edits` applied; `lagged` makes a request carrying
    `maxlag` fail."""
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
    if len(titles) > TITLES_LIMIT:
        return error_answer(
            "toomanyvalues",
            f'Too many values supplied for parameter "titles". The limit is {TITLES_LIMIT}.',
            parameter="titles",
            limit=TITLES_LIMIT,
        )
    # Like every MediaWiki boolean, `redirects` is true when present, whatever its value.
    resolve_redirects = "redirects" in params
    props = PropRequest.from_params(params)
    if "generator" in params:
        try:
            result = generator_result(
                params,
                resolve_redirects=resolve_redirects,
                props=props,
                prop_limit=prop_limit,
                edits=edits,
            )
        except Refused as refused:
            return error_answer(refused.code, refused.info)
        return Answer(result)
    if not titles:
        return error_answer("missingparam", 'The "titles" parameter must be set.')
    result = query_result(
        titles, resolve_redirects=resolve_redirects, props=props, prop_limit=prop_limit, edits=edits
    )
    return Answer(result)


def answer_encode(
    answer: Answer, *, accept_encoding: str | None
) -> tuple[bytes, tuple[tuple[str, str], ...]]:
    """The body and headers of `answer`: compact UTF-8 JSON, gzip-compressed if accepted."""
    body = json.dumps(answer.payload, ensure_ascii=False, separators=(",", ":")).encode()
    headers = (*answer.headers, ("Vary", "Accept-Encoding"))
    if "gzip" in (accept_encoding or "").lower():
        # The fastest level: at gzip's default (9) compressing took a quarter of the fake's CPU
        # per 50-title answer, and the benchmarks measured the fake wiki instead of wikicheck.
        body = gzip.compress(body, compresslevel=1, mtime=0)
        return body, (*headers, ("Content-Encoding", "gzip"))
    return body, headers
