"""Turn one user-entered line into a normalized wiki page URL and its title; the rules are the
README's ("What you can submit")."""

# No Django: the form calls entry_parse() once per line and shows any ValueError message next
# to the line number. A line that parses names a page on an allowed wiki; whether MediaWiki
# accepts its title is the entry's `invalid_reason`, not an error. The host part is checked in
# origins.py, the title in titles.py and what any line may contain in text.py.

import functools
import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple
from urllib.parse import SplitResult, quote, urlsplit

from checks.intake.origins import origin_parse
from checks.intake.text import echo, line_check
from checks.intake.titles import (
    MAX_TITLE_BYTES,
    page_title_raw,
    title_decode,
    title_from_text,
    title_invalid_reason,
    title_normalize,
)

# The characters MediaWiki's wfUrlencode leaves readable.
URL_SAFE_CHARACTERS = ";@$!*(),/~:"
# A path that quote() leaves as it is: its unreserved characters and URL_SAFE_CHARACTERS.
URL_SAFE = re.compile(r"[A-Za-z0-9_.\-~;@$!*(),/:]*")
# The wiki messages show as an example of an article path.
EXAMPLE_WIKI = "https://en.wikipedia.org/wiki/"
WIKI_PATH_HINT = f"the wiki must be given as its article path, e.g. {EXAMPLE_WIKI}"
# Only these lines are URLs ("//" takes the chosen wiki's scheme); every other line but a path
# is a title, "file:x.png" and "Data: X" included.
URL_STARTS = ("http://", "https://", "//")
PATH_STARTS = ("/wiki/", "/w/index.php")
# A scheme before the wiki's host ("javascript:"), told apart from a port ("localhost:8001").
SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):(?![0-9])")
# A bare title of words that none of the rules changes, refuses (but for its length) or
# quotes in a URL, one space or underscore between two, as most lines of a long list are:
# parsed without the rules, which would all pass it.
PLAIN_LINE = re.compile(r"[A-Za-z0-9,()!*\-]+(?:[ _][A-Za-z0-9,()!*\-]+)*")


class Entry(NamedTuple):
    """One page to check: its canonical URL, its human-readable title and, when MediaWiki
    forbids that title, MediaWiki's reason; with where the user named it, for scripts to join
    rows back to their input: the entry as typed on the first of its lines (stripped), and every
    line naming the page, numbered from 1 as the form's messages number them."""

    # A tuple, not a dataclass: a million-line batch makes a million of them.

    url: str
    title: str
    invalid_reason: str = ""
    typed: str = ""
    lines: tuple[int, ...] = ()


def wiki_normalize(value: str, *, allowed_hosts: Sequence[str]) -> str:
    """Return the canonical article base ``scheme://host[:port]/wiki/`` of a chosen wiki."""
    text = value.strip()
    if not text:
        raise ValueError(WIKI_PATH_HINT)
    line_check(text)
    if text.startswith("//"):
        text = f"https:{text}"
    scheme = SCHEME.match(text)
    if scheme and scheme.group(1).lower() not in {"http", "https"}:
        raise ValueError("only http and https URLs are accepted")
    if "://" not in text:
        text = f"https://{text}"
    if "?" in text or "#" in text:
        raise ValueError("the wiki URL must not have a query or a fragment")
    parts = _url_split(text)
    origin = origin_parse(parts, allowed_hosts=allowed_hosts)
    if parts.path not in {"", "/", "/wiki", "/wiki/"}:
        raise ValueError(WIKI_PATH_HINT)
    return f"{origin}/wiki/"


def entry_parse(
    line: str, *, wiki: str, allowed_hosts: Sequence[str], lines: tuple[int, ...] = ()
) -> Entry:
    """Parse one line (URL, ``/wiki/`` path or bare title) into an ``Entry``, typed as the line
    (stripped) and named on `lines`.

    Raises ValueError for a line that names no page on an allowed wiki; a title MediaWiki
    forbids is an entry all the same, with its `invalid_reason`.
    """
    text = line.strip()
    hosts = tuple(allowed_hosts)
    if len(text) <= MAX_TITLE_BYTES and PLAIN_LINE.fullmatch(text):
        title = text.replace("_", " ")
        url = f"{_wiki_origin(wiki, hosts)}/wiki/{title.replace(' ', '_')}"
        return Entry(url, title, "", text, lines)
    line_check(text)
    base = _article_base(wiki, hosts)
    if base and text.startswith(base) and "?" not in text and "#" not in text:
        # A URL of the chosen wiki, as most lines of a list are: what urlsplit() would find.
        origin, raw_title = base.removesuffix("/wiki/"), title_decode(text.removeprefix(base))
    elif text.lower().startswith(URL_STARTS):
        scheme = f"{_wiki_origin(wiki, hosts).partition(':')[0]}:" if text[0] == "/" else ""
        parts = _url_split(scheme + text)
        origin = origin_parse(parts, allowed_hosts=hosts)
        raw_title = title_decode(page_title_raw(parts))
    elif text.startswith(PATH_STARTS):
        origin = _wiki_origin(wiki, hosts)
        raw_title = title_decode(page_title_raw(_url_split(text)))
    else:
        origin = _wiki_origin(wiki, hosts)
        raw_title = title_from_text(text)
    title = title_normalize(raw_title)
    encoded = title.replace(" ", "_")
    if not URL_SAFE.fullmatch(encoded):
        encoded = quote(encoded, safe=URL_SAFE_CHARACTERS)
    return Entry(f"{origin}/wiki/{encoded}", title, title_invalid_reason(title), text, lines)


def entries_merge(entries: Iterable[Entry]) -> list[Entry]:
    """The distinct entries (by URL) in order, each typed as where it first came and with the
    lines of all that name it."""
    first: dict[str, Entry] = {}
    repeats: dict[str, list[int]] = {}
    for entry in entries:
        if entry.url in first:
            repeats.setdefault(entry.url, []).extend(entry.lines)
        else:
            first[entry.url] = entry
    for url, lines in repeats.items():
        first[url] = first[url]._replace(lines=(*first[url].lines, *lines))
    return list(first.values())


# Every line of a batch names the same chosen wiki: it is read once (a refusal is not cached).
@functools.lru_cache(maxsize=64)
def _wiki_origin(wiki: str, allowed_hosts: tuple[str, ...]) -> str:
    return wiki_normalize(wiki, allowed_hosts=allowed_hosts).removesuffix("/wiki/")


@functools.lru_cache(maxsize=64)
def _article_base(wiki: str, allowed_hosts: tuple[str, ...]) -> str:
    """The chosen wiki's canonical ``scheme://host/wiki/``; "" when it is not a wiki allowed."""
    try:
        return f"{_wiki_origin(wiki, allowed_hosts)}/wiki/"
    except ValueError:
        return ""


def _url_split(text: str) -> SplitResult:
    try:
        return urlsplit(text)
    except ValueError:
        raise ValueError(f"not a valid URL: {echo(text)}") from None
