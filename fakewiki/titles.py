"""Page titles read the way MediaWiki reads them: normalized, checked, and the fake wiki's rules
for which titles are missing and which are redirects."""

import unicodedata
from dataclasses import dataclass

MAX_NAME_BYTES = 255
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


def is_missing(title: str) -> bool:
    """The fake wiki's rule, for pages and api.php alike: no such page exists."""
    folded = title.casefold()
    return folded.startswith("missing") or "does not exist" in folded


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
