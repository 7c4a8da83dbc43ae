"""Turn one user-entered line into a normalized wiki page URL.

No Django: the form calls ``entry_parse`` once per line and shows any ``ValueError`` message
next to the line number. The host part is checked in origins.py, the title in titles.py and
what any line may contain in text.py.

Accepted forms (the chosen wiki being, say, ``https://en.wikipedia.org/wiki/``):

- a page URL: ``https://en.wikipedia.org/wiki/Sea_water``
- a mobile page URL: ``https://en.m.wikipedia.org/wiki/Sea_water``
- an index.php URL: ``https://en.wikipedia.org/w/index.php?title=Sea_water&action=view``
- a path on the chosen wiki: ``/wiki/Sea_water`` or ``/w/index.php?title=Sea_water``
- a bare title on the chosen wiki: ``Sea water``, ``Sea_water``, ``Help:Contents``, ``Café``

Documented normalizations, so that equal pages get equal URLs:

- surrounding whitespace is stripped from the line;
- the host is lower-cased, a trailing dot and a default port are dropped, and a
  mobile host ``xx.m.rest`` becomes ``xx.rest`` (``en.m.wikipedia.org`` ->
  ``en.wikipedia.org``);
- a ``/wiki/`` URL loses its query string, an ``index.php`` URL keeps only its
  ``title`` parameter, and a ``#fragment`` is dropped everywhere (the page that
  holds the section is checked);
- the title is percent-decoded exactly once, as UTF-8; ``+`` stays a plus, except
  inside ``index.php?title=`` where, as in every query string, it means a space;
- underscores become spaces, runs of whitespace collapse to one space, the title is
  stripped, the invisible direction marks MediaWiki ignores (U+200E, U+200F,
  U+202A-U+202E) are removed, and the title is NFC-normalized; letter case is kept
  (first-letter capitalisation is the wiki's business and is reported later);
- the canonical URL is ``{scheme}://{host[:port]}/wiki/{title}`` with spaces as
  underscores, percent-encoded like MediaWiki's ``wfUrlencode``.

Rejected: lines starting with a non-web scheme (``javascript:``, ``data:``, ``file:``,
``ftp:``, ``mailto:``... see text.REJECTED_SCHEMES; a title such as "Data: X" can still be
entered as ``/wiki/Data:_X``), protocol-relative ``//host`` lines, user names or
passwords, backslashes in the host part, malformed ports, hosts that match no
WIKICHECK_ALLOWED_HOSTS pattern (an IP literal matches only a pattern naming that IP),
paths other than ``/wiki/...`` and ``/w/index.php?title=...``, empty titles, titles
over 255 UTF-8 bytes, titles containing ``[ ] { } | < >``, an encoded ``#`` or a
control character, relative-path titles (``.``, ``..``, ``../x``, ``a/./b``), and lines
over 2,048 characters or containing control characters, lone UTF-16 surrogates (U+D800 to
U+DFFF, which a JSON string can carry as escapes) or the replacement character U+FFFD.
"""

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
