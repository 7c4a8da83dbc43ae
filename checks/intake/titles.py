"""The page title of an entered line: found in a ``/wiki/`` or ``index.php`` URL, decoded, tidied
so that equal pages get equal titles, and checked against MediaWiki's rules."""

import unicodedata
from urllib.parse import SplitResult, unquote

from checks.intake.text import echo, has_control

MAX_TITLE_BYTES = 255
# MediaWiki forbids these in titles; "#" can only get here as an encoded %23.
FORBIDDEN_TITLE_CHARACTERS = "[]{}|<>#"
# MediaWiki strips these invisible marks from titles, so copies of RTL titles match.
DIRECTION_MARKS = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e"))


def title_normalize(raw: str) -> str:
    """Decode and tidy a raw title so that equal pages get equal titles."""
    text = raw.partition("#")[0]
    try:
        text = unquote(text, errors="strict")
    except UnicodeDecodeError:
        raise ValueError("title has percent-escapes that are not valid UTF-8") from None
    if has_control(text):
        raise ValueError("title contains a control character")
    text = " ".join(text.replace("_", " ").translate(DIRECTION_MARKS).split())
    title = unicodedata.normalize("NFC", text)
    _title_check(title)
    return title


def page_title_raw(parts: SplitResult) -> str:
    """The still-encoded title of a ``/wiki/`` or ``/w/index.php`` URL."""
    if parts.path.startswith("/wiki/"):
        return parts.path.removeprefix("/wiki/")
    if parts.path == "/w/index.php":
        title = None
        for pair in parts.query.split("&"):
            name, _, value = pair.partition("=")
            if name == "title":
                # The last one wins, as in PHP; "+" is a space in every query string.
                title = value.replace("+", " ")
        if title is None:
            raise ValueError("not a page URL: /w/index.php needs a title= parameter")
        return title
    path = echo(parts.path or "/")
    raise ValueError(f"not a page URL: the path must start with /wiki/ (got {path})")


def _title_check(title: str) -> None:
    if not title:
        raise ValueError("title is empty")
    forbidden = next((char for char in title if char in FORBIDDEN_TITLE_CHARACTERS), None)
    if forbidden is not None:
        raise ValueError(f"title contains a character MediaWiki forbids: {forbidden!r}")
    size = len(title.encode())
    if size > MAX_TITLE_BYTES:
        raise ValueError(f"title is longer than {MAX_TITLE_BYTES} bytes ({size} bytes in UTF-8)")
    # MediaWiki forbids these, and an HTTP client could resolve them to another path.
    if {".", ".."} & set(title.split("/")):
        raise ValueError("title cannot be a relative path such as '.', '..' or '../x'")
