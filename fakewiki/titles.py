"""Page titles read the way MediaWiki reads them: normalized, checked, and the fake wiki's rules
for which titles are missing and which are redirects."""

import html.entities
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote

# MediaWiki's limits for the page name, in UTF-8 bytes; special pages are never stored.
MAX_NAME_BYTES = 255
MAX_SPECIAL_NAME_BYTES = 512
REDIRECT_PREFIX = "Redirect to "
SELF_REDIRECT_PREFIX = "Self-redirect"
# A title starting with one of these redirects to the same title starting with the other.
LOOP_PREFIXES = ("Redirect loop A", "Redirect loop B")
INVALID_PREFIX = "Invalid "

# MediaWiki's getTitleInvalidRegex(): characters outside $wgLegalTitleChars, percent-encoding
# and character references left after decoding (neither would round-trip through a link).
INVALID_IN_TITLE = re.compile(
    r"[\x00-\x1f\x7f#<>\[\]{}|]"
    r"|%[0-9A-Fa-f]{2}"
    r"|&[A-Za-z0-9\x80-\U0010ffff]+;"
    r"|&#[0-9]+;"
    r"|&#x[0-9A-Fa-f]+;"
)
# Sanitizer::decodeCharReferences(), which Title::newFromText() applies once, before all else.
CHARACTER_REFERENCE = re.compile(
    r"&(?:([A-Za-z0-9\x80-\U0010ffff]+)|#([0-9]+)|#[xX]([0-9A-Fa-f]+));"
)
# The code points Sanitizer::validateCodepoint() lets a reference stand for.
ALLOWED_CODEPOINTS = (
    (0x09, 0x0A),
    (0x0D, 0x0D),
    (0x20, 0xD7FF),
    (0xE000, 0xFFFD),
    (0x10000, 0x10FFFF),
)
# What MediaWiki's input cleaning leaves of text that is not valid UTF-8 (U+FFFD), and the
# non-characters it turns into U+FFFD.
NOT_TEXT = frozenset("\ufffd\ufffe\uffff")
# MediaWiki strips these invisible marks, and reads these spaces as "_".
DIRECTION_MARKS = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e"))
TITLE_WHITESPACE = re.compile("[ _\xa0\u1680\u180e\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")

# Lower-cased prefix -> (canonical name, namespace id).
NAMESPACES: dict[str, tuple[str, int]] = {
    "talk": ("Talk", 1),
    "user": ("User", 2),
    "user talk": ("User talk", 3),
    "wikipedia": ("Wikipedia", 4),
    "project": ("Wikipedia", 4),
    "wikipedia talk": ("Wikipedia talk", 5),
    "project talk": ("Wikipedia talk", 5),
    "file": ("File", 6),
    "image": ("File", 6),
    "file talk": ("File talk", 7),
    "image talk": ("File talk", 7),
    "mediawiki": ("MediaWiki", 8),
    "mediawiki talk": ("MediaWiki talk", 9),
    "template": ("Template", 10),
    "template talk": ("Template talk", 11),
    "help": ("Help", 12),
    "help talk": ("Help talk", 13),
    "category": ("Category", 14),
    "category talk": ("Category talk", 15),
    "special": ("Special", -1),
    "media": ("Media", -2),
}
INTERWIKI_URLS = {
    "wikt": "https://en.wiktionary.org/wiki/",
    "wiktionary": "https://en.wiktionary.org/wiki/",
    "commons": "https://commons.wikimedia.org/wiki/",
    "fr": "https://fr.wikipedia.org/wiki/",
    "de": "https://de.wikipedia.org/wiki/",
    "es": "https://es.wikipedia.org/wiki/",
}
INTERWIKI_PREFIXES = frozenset(INTERWIKI_URLS)

# MediaWiki's messages (languages/i18n/en.json, title-invalid-*) as api.php sends them in
# `invalidreason`: wikitext, markup and all.
EMPTY_REASON = "The requested page title is empty or contains only the name of a namespace."
UTF8_REASON = "The requested page title contains an invalid UTF-8 sequence."
TALK_NAMESPACE_REASON = (
    "The requested page title refers to an incorrectly specified talk page for a page in another "
    'namespace. Talk pages of non-mainspace pages should be written as "Project talk:Foo", not '
    '"Talk:Project:Foo".'
)
# The offending text is a plain-text parameter, which MediaWiki's wikitext wraps in <nowiki>.
CHARACTERS_REASON = 'The requested page title contains invalid characters: "{}".'
RELATIVE_REASON = (
    "Title has relative path. Relative page titles (./, ../) are invalid, because they will "
    "often be unreachable when handled by user's browser."
)
TILDE_REASON = (
    "The requested page title contains invalid magic tilde sequence (<nowiki>~~~</nowiki>)."
)
TOO_LONG_REASON = (
    "The requested page title is too long. It must be no longer than {} bytes in UTF-8 encoding."
)
LEADING_COLON_REASON = "The requested page title contains an invalid colon at the beginning."
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
    """A title MediaWiki refuses; `reason` is api.php's `invalidreason`, in wikitext."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def is_missing(title: str) -> bool:
    """The fake wiki's rule, for pages and api.php alike: no such page exists."""
    folded = title.casefold()
    return folded.startswith("missing") or "does not exist" in folded


def capitalized(name: str) -> str:
    """`name` with its first letter upper-cased, unless that letter's upper case is longer."""
    first = name[:1].upper()
    return first + name[1:] if len(first) == 1 else name


def title_parse(sent: str) -> Title:
    """The normalized title `sent` names; raises InvalidTitle with MediaWiki's reason, checked in
    the order of MediaWikiTitleCodec::splitTitleString()."""
    text = _tidied(sent)
    if NOT_TEXT & set(text):
        raise InvalidTitle(UTF8_REASON)
    # A first colon only says "main namespace"; a second one is an error, found below.
    text = text.removeprefix(":").lstrip(" ")
    if not text:
        raise InvalidTitle(EMPTY_REASON)
    split = _prefix_split(text)
    if reason := _invalid_reason(split):
        raise InvalidTitle(reason)
    title = split if split.interwiki else _capitalized(split)
    if title.text.startswith(INVALID_PREFIX):
        raise InvalidTitle(INVALID_PREFIX_REASON)
    return title


def _tidied(sent: str) -> str:
    """`sent` with character references decoded, in NFC, and its spaces as MediaWiki keeps
    them: one space for each run, none at the ends."""
    decoded = unicodedata.normalize("NFC", CHARACTER_REFERENCE.sub(_reference_decode, sent))
    return TITLE_WHITESPACE.sub(" ", decoded.translate(DIRECTION_MARKS)).strip(" ")


def _reference_decode(match: re.Match) -> str:
    """One character reference as MediaWiki's Sanitizer decodes it: an unknown name stays as it
    is, a number that is no allowed character becomes U+FFFD."""
    name, decimal, hexadecimal = match.groups()
    if name is not None:
        return html.entities.html5.get(f"{name};", match.group())
    codepoint = int(decimal) if decimal is not None else int(hexadecimal, 16)
    allowed = any(low <= codepoint <= high for low, high in ALLOWED_CODEPOINTS)
    return chr(codepoint) if allowed else "\ufffd"


def _prefix_split(text: str) -> Title:
    """`text` split at its interwiki or namespace prefix, the page name still as typed."""
    prefix, colon, rest = text.partition(":")
    key = prefix.strip(" ").lower()
    name = rest.lstrip(" ")
    if colon and key in INTERWIKI_PREFIXES:
        return Title(f"{key}:{name}", name, interwiki=key)
    if colon and key in NAMESPACES:
        canonical, ns = NAMESPACES[key]
        return Title(f"{canonical}:{name}", name, ns)
    return Title(text, text)


def _invalid_reason(title: Title) -> str:
    """MediaWiki's reason for refusing a split title, or "" when the title is valid."""
    if title.ns == NAMESPACES["talk"][1] and _prefix_split(title.name).ns:
        return TALK_NAMESPACE_REASON
    if invalid := INVALID_IN_TITLE.search(_without_redirect_section(title.text)):
        return CHARACTERS_REASON.format(f"<nowiki>{invalid.group()}</nowiki>")
    if {".", ".."} & set(title.name.split("/")):
        return RELATIVE_REASON
    if "~~~" in title.name:
        return TILDE_REASON
    limit = MAX_SPECIAL_NAME_BYTES if title.ns == NAMESPACES["special"][1] else MAX_NAME_BYTES
    if len(title.name.encode()) > limit:
        return TOO_LONG_REASON.format(limit)
    if not title.name and not title.interwiki:
        return EMPTY_REASON
    if title.name.startswith(":") and not title.interwiki:
        return LEADING_COLON_REASON
    return ""


def _without_redirect_section(text: str) -> str:
    if capitalized(text).startswith(REDIRECT_PREFIX):
        # The first "#" of a redirect's title begins its target's section.
        return text.replace("#", "", 1)
    return text


def _capitalized(title: Title) -> Title:
    name = capitalized(title.name)
    return Title(title.text.removesuffix(title.name) + name, name, title.ns)


def redirect_target(title: Title) -> tuple[Title, str] | None:
    """Where a redirect leads, and the section; None for a title that is no redirect."""
    if title.ns != 0 or title.interwiki:
        return None
    if title.text.startswith(SELF_REDIRECT_PREFIX):
        return title, ""
    for here, there in (LOOP_PREFIXES, LOOP_PREFIXES[::-1]):
        if title.text.startswith(here):
            return title_parse(there + title.text.removeprefix(here)), ""
    if not title.text.startswith(REDIRECT_PREFIX):
        return None
    target, _, fragment = title.text.removeprefix(REDIRECT_PREFIX).partition("#")
    try:
        return title_parse(target), fragment
    except InvalidTitle:
        return None


def interwiki_url(title: Title) -> str:
    """The address of an interwiki title on its own wiki."""
    return INTERWIKI_URLS[title.interwiki] + quote(title.name.replace(" ", "_"), safe="/:(),")
