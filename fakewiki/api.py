"""The fake wiki's MediaWiki Action API: `/w/api.php?action=query&titles=A|B|C` (fakewiki.server).

Requests come as GET with a query string or as POST with an `application/x-www-form-urlencoded`
body (both are read, the body winning, as PHP does). Only what wikicheck asks is answered:
`action=query` with `titles` (up to 50, joined by "|"), `redirects` and `maxlag`. Every answer
is MediaWiki's `formatversion=2` JSON, with HTTP 200, errors included:

    {"batchcomplete": true, "query": {
       "normalized": [{"fromencoded": false, "from": "ocean", "to": "Ocean"}],
       "redirects": [{"from": "Redirect to Ocean#Depth", "to": "Ocean", "tofragment": "Depth"}],
       "interwiki": [{"title": "wikt:sea", "iw": "wikt"}],
       "pages": [{"pageid": 1234, "ns": 0, "title": "Ocean"}, ...]}}

Titles are read the way MediaWiki reads them:

Normalization  NFC; underscores become spaces; runs of spaces become one; ends are trimmed; the
               first letter of the page name is upper-cased (a letter whose upper case is longer,
               like "ß", stays as it is). A namespace prefix, in any case and with spaces around
               its colon, becomes the canonical name: Talk (ns 1), User (2), User talk (3),
               Wikipedia (4), File (6, alias Image), Template (10), Help (12), Category (14),
               Special (-1), Media (-2); `talk:ocean` is `Talk:Ocean`. Other prefixes are part
               of the title (`Star Wars: Episode I`, ns 0). A title that changed is listed in
               `normalized`.
Interwiki      a prefix `wikt`, `wiktionary`, `commons`, `fr`, `de` or `es` (any case) makes the
               title an interwiki link, listed in `interwiki` as `<prefix in lower case>:<rest>`
               and not in `pages`; the rest keeps its case.
Invalid        listed in `pages` as `{"title": <as sent>, "invalidreason": ..., "invalid": true}`:
               empty, or only a namespace prefix; containing one of `#<>[]{}|` or a control
               character (the first is named); a page name (the part after the namespace prefix)
               longer than 255 bytes in UTF-8; or, a rule of the fake wiki, a title that starts
               with "Invalid " once normalized.
Redirects      a main-namespace title "Redirect to <target>" is a redirect to <target> (itself
               normalized); a "#" in it starts the target's section, so "Redirect to Ocean#Depth"
               is a valid title. With `redirects`, the redirect is listed in `redirects` (with
               `tofragment` for a section, `tointerwiki` for an interwiki target; chains list
               each step) and its target in `pages` (or `interwiki`); a target that is missing
               makes a broken redirect. Without `redirects`, the redirect page is listed as an
               existing page with `"redirect": true`. "Redirect to" with no valid target is an
               ordinary page.
Pages          a page is missing when its full title is, by the rule of /wiki/ pages
               (fakewiki.server.is_missing: it starts with "Missing" or contains "does not
               exist"): `{"ns": 0, "title": ..., "missing": true}`; every other page exists:
               `{"pageid": <CRC-32 of the title>, "ns": ..., "title": ...}`. Special: and Media:
               titles are `{"ns": -1 or -2, "title": ..., "special": true}`, with
               `"missing": true` when the name after the prefix is missing by the same rule.
               Each final title is listed once, in the order first met, however often it is
               sent or reached.

Errors, `{"error": {"code": ..., "info": ...}, "servedby": "fakewiki"}` with the header
`MediaWiki-API-Error: <code>`: `missingparam` when `action` is absent or `titles` is absent or
empty, `badvalue` for an action other than `query`, `toomanyvalues` (with `parameter` and
`limit`) for more than 50 titles, and `maxlag` (with `host` and `lag`, and the headers
`Retry-After` and `X-Database-Lag`) for a request carrying `maxlag` while the wiki's
`maxlag_failures` are not used up.

Answers are gzip-compressed (`Content-Encoding: gzip`) when the request's Accept-Encoding names
gzip.
"""

import gzip
import json
import unicodedata
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl

API_PATH = "/w/api.php"
CONTENT_TYPE = "application/json; charset=utf-8"
TITLES_LIMIT = 50
MAX_NAME_BYTES = 255
LAG_HOST = "db1"
LAG_SECONDS = 7
SERVED_BY = "fakewiki"
REDIRECT_PREFIX = "Redirect to "
INVALID_PREFIX = "Invalid "
INVALID_CHARACTERS = frozenset("#<>[]{}|")

# Lower-cased prefix -> (canonical name, namespace id).
NAMESPACES: dict[str, tuple[str, int]] = {
    "talk": ("Talk", 1),
    "user": ("User", 2),
    "user talk": ("User talk", 3),
    "wikipedia": ("Wikipedia", 4),
    "file": ("File", 6),
    "image": ("File", 6),
    "template": ("Template", 10),
    "help": ("Help", 12),
    "category": ("Category", 14),
    "special": ("Special", -1),
    "media": ("Media", -2),
}
INTERWIKI_PREFIXES = frozenset({"wikt", "wiktionary", "commons", "fr", "de", "es"})

EMPTY_REASON = "The requested page title is empty or contains only the name of a namespace."
CHARACTERS_REASON = 'The requested page title contains invalid characters: "{}".'
TOO_LONG_REASON = "The requested page title is too long to be used as a title."
INVALID_PREFIX_REASON = (
    'The requested page title is invalid (the fake wiki rejects titles starting with "Invalid ").'
)


@dataclass(frozen=True)
class Title:
    """A valid title, normalized."""

    text: str  # as MediaWiki writes it: "Talk:Ocean", "wikt:sea"
    name: str  # the part after the namespace or interwiki prefix
    ns: int = 0
    interwiki: str = ""


class InvalidTitle(ValueError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Answer:
    payload: dict[str, object]
    headers: tuple[tuple[str, str], ...] = ()


# --- Titles ------------------------------------------------------------------------------------


def capitalized(name: str) -> str:
    """`name` with its first letter upper-cased, unless that letter's upper case is longer."""
    first = name[:1].upper()
    return first + name[1:] if len(first) == 1 else name


def first_invalid_character(text: str) -> str | None:
    if text.startswith(REDIRECT_PREFIX):
        # The first "#" of a redirect's title begins its target's section.
        text = text.replace("#", "", 1)
    return next(
        (c for c in text if c in INVALID_CHARACTERS or ord(c) < 0x20 or ord(c) == 0x7F), None
    )


def title_parse(sent: str) -> Title:
    """The normalized title `sent` names; raises InvalidTitle with MediaWiki's reason."""
    spaced = unicodedata.normalize("NFC", sent).replace("_", " ")
    text = " ".join(word for word in spaced.split(" ") if word)
    prefix, colon, rest = text.partition(":")
    key = prefix.strip(" ").lower()
    if colon and key in INTERWIKI_PREFIXES:
        name = rest.lstrip(" ")
        title = Title(f"{key}:{name}", name, interwiki=key)
    elif colon and key in NAMESPACES:
        canonical, ns = NAMESPACES[key]
        name = capitalized(rest.lstrip(" "))
        title = Title(f"{canonical}:{name}", name, ns)
    else:
        title = Title(capitalized(text), capitalized(text))
    if (character := first_invalid_character(title.text)) is not None:
        raise InvalidTitle(CHARACTERS_REASON.format(character))
    if not title.name and not title.interwiki:
        raise InvalidTitle(EMPTY_REASON)
    if len(title.name.encode()) > MAX_NAME_BYTES:
        raise InvalidTitle(TOO_LONG_REASON)
    if title.text.startswith(INVALID_PREFIX):
        raise InvalidTitle(INVALID_PREFIX_REASON)
    return title


def redirect_target(title: Title) -> tuple[Title, str] | None:
    """Where a "Redirect to <target>" title leads, and the section; None for other titles."""
    if title.ns != 0 or title.interwiki or not title.text.startswith(REDIRECT_PREFIX):
        return None
    target, _, fragment = title.text.removeprefix(REDIRECT_PREFIX).partition("#")
    try:
        return title_parse(target), fragment
    except InvalidTitle:
        return None


def page_id(title: Title) -> int:
    return zlib.crc32(title.text.encode())


def page_info(title: Title, *, is_missing: Callable[[str], bool]) -> dict[str, object]:
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


# --- Queries -----------------------------------------------------------------------------------


def params_parse(query: str, form: str = "") -> dict[str, str]:
    """The parameters of a query string and a form body; the form's win, as in PHP's $_REQUEST."""
    pairs = parse_qsl(query, keep_blank_values=True) + parse_qsl(form, keep_blank_values=True)
    return dict(pairs)


def titles_sent(params: Mapping[str, str]) -> list[str]:
    titles = params.get("titles", "")
    return titles.split("|") if titles else []


def query_result(
    titles: list[str], *, resolve_redirects: bool, is_missing: Callable[[str], bool]
) -> dict[str, object]:
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
            pages.setdefault(title.text, page_info(title, is_missing=is_missing))
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


def api_answer(
    params: Mapping[str, str],
    *,
    lagged: bool,
    retry_after: int,
    is_missing: Callable[[str], bool],
) -> Answer:
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
    result = query_result(titles, resolve_redirects="redirects" in params, is_missing=is_missing)
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
