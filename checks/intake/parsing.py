"""Turn one user-entered line into a normalized wiki page URL; the rules are the README's
("What you can submit")."""

# No Django: the form calls entry_parse() once per line and shows any ValueError message next
# to the line number. The host part is checked in origins.py, the title in titles.py and what
# any line may contain in text.py.

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import SplitResult, quote, urlsplit

from checks.intake.origins import origin_parse
from checks.intake.text import echo, line_check
from checks.intake.titles import page_title_raw, title_normalize

# The characters MediaWiki's wfUrlencode leaves readable.
URL_SAFE_CHARACTERS = ";@$!*(),/~:"
# The wiki messages show as an example of an article path.
EXAMPLE_WIKI = "https://en.wikipedia.org/wiki/"
WIKI_PATH_HINT = f"the wiki must be given as its article path, e.g. {EXAMPLE_WIKI}"


@dataclass(frozen=True)
class Entry:
    """One page to check: its canonical URL and its human-readable title."""

    url: str
    title: str


def wiki_normalize(value: str, *, allowed_hosts: Sequence[str]) -> str:
    """Return the canonical article base ``scheme://host[:port]/wiki/`` of a chosen wiki."""
    text = value.strip()
    if not text:
        raise ValueError(WIKI_PATH_HINT)
    line_check(text)
    if "://" not in text:
        text = f"https://{text}"
    if "?" in text or "#" in text:
        raise ValueError("the wiki URL must not have a query or a fragment")
    parts = _url_split(text)
    origin = origin_parse(parts, allowed_hosts=allowed_hosts)
    if parts.path not in {"", "/", "/wiki", "/wiki/"}:
        raise ValueError(WIKI_PATH_HINT)
    return f"{origin}/wiki/"


def entry_parse(line: str, *, wiki: str, allowed_hosts: Sequence[str]) -> Entry:
    """Parse one line (URL, ``/wiki/`` path or bare title) into an ``Entry``."""
    text = line.strip()
    line_check(text)
    if text.lower().startswith(("http://", "https://")):
        parts = _url_split(text)
        origin = origin_parse(parts, allowed_hosts=allowed_hosts)
        raw_title = page_title_raw(parts)
    else:
        origin = wiki_normalize(wiki, allowed_hosts=allowed_hosts).removesuffix("/wiki/")
        is_path = text.startswith(("/wiki/", "/w/index.php"))
        raw_title = page_title_raw(_url_split(text)) if is_path else text
    title = title_normalize(raw_title)
    encoded = quote(title.replace(" ", "_"), safe=URL_SAFE_CHARACTERS)
    return Entry(url=f"{origin}/wiki/{encoded}", title=title)


def _url_split(text: str) -> SplitResult:
    try:
        return urlsplit(text)
    except ValueError:
        raise ValueError(f"not a valid URL: {echo(text)}") from None
