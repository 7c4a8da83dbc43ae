"""The page title of an entered line: found in a ``/wiki/`` or ``index.php`` URL, decoded, tidied
so that equal pages get equal titles, and judged by MediaWiki's title rules."""

# The rules are MediaWikiTitleCodec::splitTitleString's, in its order, with its English
# messages, so that page mode says what API mode hears from the wiki.

import html.entities
import re
import unicodedata
from urllib.parse import SplitResult, unquote

from checks.intake.text import echo, has_control

# MediaWiki's limit for the title without its namespace prefix, in UTF-8 bytes; special pages
# are never stored, and may be longer.
MAX_TITLE_BYTES = 255
MAX_SPECIAL_TITLE_BYTES = 512
# MediaWiki strips these invisible marks from titles, so copies of RTL titles match.
DIRECTION_MARKS = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e"))
# What MediaWiki's input cleaning leaves where text was not valid UTF-8 (U+FFFD), and the
# non-characters it turns into U+FFFD.
NOT_TEXT = frozenset("\ufffd\ufffe\uffff")
# MediaWiki's getTitleInvalidRegex(): characters outside $wgLegalTitleChars, percent-encoding
# and HTML character references (neither would round-trip through a link).
INVALID_IN_TITLE = re.compile(
    r"[\x00-\x1f\x7f#<>\[\]{}|]"
    r"|%[0-9A-Fa-f]{2}"
    r"|&[A-Za-z0-9\x80-\U0010ffff]+;"
    r"|&#[0-9]+;"
    r"|&#x[0-9A-Fa-f]+;"
)
# Sanitizer::decodeCharReferences(): named, decimal and hexadecimal references, each with its ";".
CHARACTER_REFERENCE = re.compile(
    r"&(?:([A-Za-z0-9\x80-\U0010ffff]+)|#([0-9]+)|#[xX]([0-9A-Fa-f]+));"
)
# The code points Sanitizer::validateCodepoint() lets a reference stand for, but tab, LF, CR.
ALLOWED_CODEPOINTS = ((0x20, 0xD7FF), (0xE000, 0xFFFD), (0x10000, 0x10FFFF))
# What MediaWiki's splitTitleString() collapses to one "_": spaces, underscores and the
# Unicode spaces (tab, LF and CR are not among them: in a title they are invalid characters).
TITLE_WHITESPACE = re.compile("[ _\xa0\u1680\u180e\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")
# A title of letters, digits, spaces and punctuation none of the rules looks at, not starting
# with a space, without a namespace (no colon), at most 255 bytes: valid.
PLAIN = r"A-Za-z0-9,'()!?*+=\-"
PLAIN_TITLE = re.compile(f"[{PLAIN}][{PLAIN} _]{{0,254}}")
# Words of those characters, one space or underscore between two: tidy once "_" is " ".
PLAIN_WORDS = re.compile(f"[{PLAIN}]+(?:[ _][{PLAIN}]+)*")
# MediaWiki's canonical English namespace names and aliases, by their lower-case form; any other
# prefix ("About: Schmidt", "Star Wars: Episode I") is part of a main-namespace title.
NAMESPACES = {
    name.lower(): name
    for name in (
        "Media",
        "Special",
        "Talk",
        "User",
        "User talk",
        "Project",
        "Project talk",
        "File",
        "File talk",
        "MediaWiki",
        "MediaWiki talk",
        "Template",
        "Template talk",
        "Help",
        "Help talk",
        "Category",
        "Category talk",
    )
} | {"image": "File", "image talk": "File talk"}

# MediaWiki's messages (languages/i18n/en.json, title-invalid-*), wiki markup removed.
EMPTY_REASON = "The requested page title is empty or contains only the name of a namespace."
UTF8_REASON = "The requested page title contains an invalid UTF-8 sequence."
TALK_NAMESPACE_REASON = (
    "The requested page title refers to an incorrectly specified talk page for a page in another "
    'namespace. Talk pages of non-mainspace pages should be written as "Project talk:Foo", not '
    '"Talk:Project:Foo".'
)
CHARACTERS_REASON = 'The requested page title contains invalid characters: "{}".'
RELATIVE_REASON = (
    "Title has relative path. Relative page titles (./, ../) are invalid, because they will "
    "often be unreachable when handled by user's browser."
)
TILDE_REASON = "The requested page title contains invalid magic tilde sequence (~~~)."
TOO_LONG_REASON = (
    "The requested page title is too long. It must be no longer than {} bytes in UTF-8 encoding."
)
LEADING_COLON_REASON = "The requested page title contains an invalid colon at the beginning."


def title_from_text(text: str) -> str:
    """A bare title as MediaWiki's Title::newFromText() reads it: character references such as
    "&amp;" decoded, the "#section" dropped; percent-escapes are left as typed."""
    return CHARACTER_REFERENCE.sub(_reference_decode, text).partition("#")[0]


def title_decode(raw: str) -> str:
    """The title of a URL, percent-decoded once as UTF-8; escapes that are not UTF-8 decode to
    U+FFFD, as MediaWiki's input cleaning makes them (and then refuses the title)."""
    text = unquote(raw, errors="replace")
    if has_control(text):
        # Never a title anyone copied; an encoded CR LF is a header injection attempt.
        raise ValueError("title contains a control character")
    return text


def title_normalize(text: str) -> str:
    """Tidy a title so that equal pages get equal titles; a namespace prefix is written the
    canonical way (``file:x`` -> ``File:x``), every other letter's case is kept."""
    if PLAIN_WORDS.fullmatch(text):
        return text.replace("_", " ")  # as most are: nothing else below would change it
    text = TITLE_WHITESPACE.sub(" ", text.translate(DIRECTION_MARKS)).strip(" ")
    title = unicodedata.normalize("NFC", text)
    namespace, name = _namespace_split(title.removeprefix(":").lstrip(" "))
    return f"{namespace}:{name}" if namespace else title


def title_invalid_reason(title: str) -> str:
    """MediaWiki's reason for refusing a normalized title, or "" when the title is valid."""
    if PLAIN_TITLE.fullmatch(title):
        return ""  # as most are: none of the rules below can refuse it
    if NOT_TEXT & set(title):
        return UTF8_REASON
    # A first colon only says "main namespace"; what follows is split as usual.
    text = title.removeprefix(":").lstrip(" ")
    if not text:
        return EMPTY_REASON
    namespace, name = _namespace_split(text)
    if namespace == "Talk" and _namespace_split(name)[0]:
        return TALK_NAMESPACE_REASON
    invalid = INVALID_IN_TITLE.search(name)
    if invalid:
        return CHARACTERS_REASON.format(invalid.group())
    if {".", ".."} & set(name.split("/")):
        return RELATIVE_REASON
    if "~~~" in name:
        return TILDE_REASON
    limit = MAX_SPECIAL_TITLE_BYTES if namespace == "Special" else MAX_TITLE_BYTES
    if len(name.encode()) > limit:
        return TOO_LONG_REASON.format(limit)
    if not name:
        return EMPTY_REASON
    if name.startswith(":"):
        return LEADING_COLON_REASON
    return ""


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


def _reference_decode(match: re.Match) -> str:
    """One character reference as MediaWiki's Sanitizer decodes it: an unknown name stays as
    it is, a number that is no allowed character becomes U+FFFD."""
    name, decimal, hexadecimal = match.groups()
    if name is not None:
        return html.entities.html5.get(f"{name};", match.group())
    codepoint = int(decimal) if decimal is not None else int(hexadecimal, 16)
    allowed = codepoint in (0x09, 0x0A, 0x0D) or any(
        low <= codepoint <= high for low, high in ALLOWED_CODEPOINTS
    )
    return chr(codepoint) if allowed else "\ufffd"


def _namespace_split(text: str) -> tuple[str, str]:
    """The canonical namespace of a tidied title ("" for the main namespace) and the rest."""
    prefix, colon, rest = text.partition(":")
    namespace = NAMESPACES.get(prefix.strip(" ").lower()) if colon else None
    return (namespace, rest.lstrip(" ")) if namespace else ("", text)
