"""Turn one user-entered line into a normalized wiki page URL.

Pure standard library, no Django: the form calls ``entry_parse`` once per line and
shows any ``ValueError`` message next to the line number.

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
``ftp:``, ``mailto:``... see REJECTED_SCHEMES; a title such as "Data: X" can still be
entered as ``/wiki/Data:_X``), protocol-relative ``//host`` lines, user names or
passwords, backslashes in the host part, malformed ports, hosts that match no
WIKICHECK_ALLOWED_HOSTS pattern (an IP literal matches only a pattern naming that IP),
paths other than ``/wiki/...`` and ``/w/index.php?title=...``, empty titles, titles
over 255 UTF-8 bytes, titles containing ``[ ] { } | < >``, an encoded ``#`` or a
control character, relative-path titles (``.``, ``..``, ``../x``, ``a/./b``), and lines
over 2,048 characters or containing control characters, lone UTF-16 surrogates (U+D800 to
U+DFFF, which a JSON string can carry as escapes) or the replacement character U+FFFD.
"""

import functools
import ipaddress
import re
import string
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import SplitResult, quote, unquote, urlsplit

MAX_LINE_LENGTH = 2048
MAX_TITLE_BYTES = 255
# Keeps error messages readable however long the pasted line is.
MAX_ECHO_LENGTH = 80
DEFAULT_PORTS = {"http": 80, "https": 443}
# Only these are refused outright: anything else before a colon is a namespace or
# simply part of a title ("Help:Contents", "Star Wars: Episode I").
REJECTED_SCHEMES = frozenset(
    {"javascript", "data", "file", "ftp", "ftps", "mailto", "vbscript", "ws", "wss"}
    | {"gopher", "ldap", "ssh", "telnet", "about", "blob", "chrome"}
)
# MediaWiki forbids these in titles; "#" can only get here as an encoded %23.
FORBIDDEN_TITLE_CHARACTERS = "[]{}|<>#"
# MediaWiki strips these invisible marks from titles, so copies of RTL titles match.
DIRECTION_MARKS = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e"))
# The characters MediaWiki's wfUrlencode leaves readable.
URL_SAFE_CHARACTERS = ";@$!*(),/~:"
# Unicode's control characters (category Cc): C0, DEL and C1.
CONTROL_CHARACTER = re.compile("[\x00-\x1f\x7f-\x9f]")
# Halves of UTF-16 pairs: alone they are no character, and no encoding can send them on.
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# What decoders put where text was not valid; MediaWiki refuses titles containing it.
REPLACEMENT_CHARACTER = "\ufffd"
HOST_LABEL_CHARACTERS = frozenset(string.ascii_lowercase + string.digits + "-")
# The wiki messages show as an example of an article path.
EXAMPLE_WIKI = "https://en.wikipedia.org/wiki/"
WIKI_PATH_HINT = f"the wiki must be given as its article path, e.g. {EXAMPLE_WIKI}"


@dataclass(frozen=True)
class Entry:
    """One page to check: its canonical URL and its human-readable title."""

    url: str
    title: str


# -- hosts -------------------------------------------------------------------------


def host_allowed(*, scheme: str, host: str, port: int | None, patterns: Sequence[str]) -> bool:
    """Whether ``scheme://host:port`` matches one of the allowed-host patterns."""
    if scheme not in DEFAULT_PORTS:
        return False
    try:
        host = _host_clean(host)
    except ValueError:
        return False
    default_port = DEFAULT_PORTS[scheme]
    port = default_port if port is None else port
    return any(
        _pattern_matches(pattern, host=host, port=port, default_port=default_port)
        for pattern in patterns
    )


def _pattern_matches(pattern: str, *, host: str, port: int, default_port: int) -> bool:
    try:
        pattern_host, pattern_port = _host_port_split(pattern.strip())
    except ValueError:
        return False
    pattern_host = pattern_host.lower().removesuffix(".")
    if pattern_port is None:
        port_matches = port == default_port
    else:
        port_matches = pattern_port == "*" or (pattern_port.isdigit() and int(pattern_port) == port)
    if not port_matches:
        return False
    host_ip = _ip_or_none(host)
    if host_ip is not None:
        # Wildcards never reach IPs: a loopback or metadata address must be named exactly.
        return host_ip == _ip_or_none(pattern_host)
    if pattern_host.startswith("*."):
        suffix = pattern_host[1:]
        return host.endswith(suffix) and len(host) > len(suffix)
    return host == pattern_host


def _host_port_split(authority: str) -> tuple[str, str | None]:
    """Split ``host``, ``host:port``, ``[ipv6]`` or ``[ipv6]:port``; the port stays text."""
    if authority.startswith("["):
        host, bracket, rest = authority[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")) or _ip_or_none(host) is None:
            raise ValueError(f"host {_echo(authority)} is not a valid host name")
        return host, rest[1:] if rest else None
    host, colon, port_text = authority.partition(":")
    return host, port_text if colon else None


def _host_clean(host: str) -> str:
    """Lower-case a host name or IP literal, dropping a trailing dot; reject malformed ones."""
    cleaned = host.lower().removesuffix(".")
    if not cleaned:
        raise ValueError("the URL has no host")
    is_name = host.isascii() and all(
        0 < len(label) <= 63 and set(label) <= HOST_LABEL_CHARACTERS for label in cleaned.split(".")
    )
    if not is_name and _ip_or_none(cleaned) is None:
        raise ValueError(f"host {_echo(host)} is not a valid host name")
    return cleaned


def _ip_or_none(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _desktop_host(host: str) -> str:
    """Map a mobile host ``xx.m.rest`` to ``xx.rest``; the desktop host is canonical."""
    labels = host.split(".")
    if len(labels) >= 4 and labels[1] == "m" and _ip_or_none(host) is None:
        del labels[1]
    return ".".join(labels)


def _port_parse(port_text: str | None) -> int | None:
    if not port_text:
        return None
    if not (port_text.isascii() and port_text.isdigit()) or not 0 < int(port_text) <= 65535:
        raise ValueError(f"port {_echo(port_text)} is not a number from 1 to 65535")
    return int(port_text)


def _origin_parse(parts: SplitResult, *, allowed_hosts: Sequence[str]) -> str:
    """Check a URL's scheme and authority and return its canonical ``scheme://host[:port]``."""
    return _origin_of(parts.scheme, parts.netloc, tuple(allowed_hosts))


# A batch names few hosts many times: each is checked once (refusals are not cached).
@functools.lru_cache(maxsize=1024)
def _origin_of(scheme: str, netloc: str, allowed_hosts: tuple[str, ...]) -> str:
    parts = SplitResult(scheme, netloc, "", "", "")
    if parts.scheme not in DEFAULT_PORTS:
        raise ValueError("only http and https URLs are accepted")
    if "@" in parts.netloc:
        raise ValueError("user names or passwords in URLs are not accepted")
    if "\\" in parts.netloc:
        # Browsers read "\" as "/", so "evil.example\.wikipedia.org" would go to evil.example.
        raise ValueError("backslashes are not accepted in the host part of a URL")
    host_text, port_text = _host_port_split(parts.netloc)
    typed_host = _host_clean(host_text)
    host = _desktop_host(typed_host)
    port = _port_parse(port_text)
    if port == DEFAULT_PORTS[parts.scheme]:
        port = None
    if not host_allowed(scheme=parts.scheme, host=host, port=port, patterns=allowed_hosts):
        shown = _netloc_join(host=typed_host, port=port)
        raise ValueError(f"host {_echo(shown)} is not an allowed wiki host")
    return f"{parts.scheme}://{_netloc_join(host=host, port=port)}"


def _netloc_join(*, host: str, port: int | None) -> str:
    netloc = f"[{host}]" if ":" in host else host
    return netloc if port is None else f"{netloc}:{port}"


# -- titles ------------------------------------------------------------------------


def _title_normalize(raw: str) -> str:
    """Decode and tidy a raw title so that equal pages get equal titles."""
    text = raw.partition("#")[0]
    try:
        text = unquote(text, errors="strict")
    except UnicodeDecodeError:
        raise ValueError("title has percent-escapes that are not valid UTF-8") from None
    if _has_control(text):
        raise ValueError("title contains a control character")
    text = " ".join(text.replace("_", " ").translate(DIRECTION_MARKS).split())
    title = unicodedata.normalize("NFC", text)
    _title_check(title)
    return title


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


def _page_title_raw(parts: SplitResult) -> str:
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
    path = _echo(parts.path or "/")
    raise ValueError(f"not a page URL: the path must start with /wiki/ (got {path})")


# -- lines -------------------------------------------------------------------------


def wiki_normalize(value: str, *, allowed_hosts: Sequence[str]) -> str:
    """Return the canonical article base ``scheme://host[:port]/wiki/`` of a chosen wiki."""
    text = value.strip()
    if not text:
        raise ValueError(WIKI_PATH_HINT)
    _line_check(text)
    if "://" not in text:
        text = f"https://{text}"
    if "?" in text or "#" in text:
        raise ValueError("the wiki URL must not have a query or a fragment")
    parts = _url_split(text)
    origin = _origin_parse(parts, allowed_hosts=allowed_hosts)
    if parts.path not in {"", "/", "/wiki", "/wiki/"}:
        raise ValueError(WIKI_PATH_HINT)
    return f"{origin}/wiki/"


def entry_parse(line: str, *, wiki: str, allowed_hosts: Sequence[str]) -> Entry:
    """Parse one line (URL, ``/wiki/`` path or bare title) into an ``Entry``."""
    text = line.strip()
    _line_check(text)
    if text.lower().startswith(("http://", "https://")):
        parts = _url_split(text)
        origin = _origin_parse(parts, allowed_hosts=allowed_hosts)
        raw_title = _page_title_raw(parts)
    else:
        origin = wiki_normalize(wiki, allowed_hosts=allowed_hosts).removesuffix("/wiki/")
        is_path = text.startswith(("/wiki/", "/w/index.php"))
        raw_title = _page_title_raw(_url_split(text)) if is_path else text
    title = _title_normalize(raw_title)
    encoded = quote(title.replace(" ", "_"), safe=URL_SAFE_CHARACTERS)
    return Entry(url=f"{origin}/wiki/{encoded}", title=title)


def _line_check(text: str) -> None:
    """Refuse what no accepted form can contain, before any other work."""
    if len(text) > MAX_LINE_LENGTH:
        raise ValueError(f"line is too long ({len(text)} characters, at most {MAX_LINE_LENGTH})")
    if _has_control(text):
        raise ValueError("line contains a control character")
    surrogate = LONE_SURROGATE.search(text)
    if surrogate:
        raise ValueError(
            f"line contains a character that is not valid text (U+{ord(surrogate.group()):04X})"
        )
    if REPLACEMENT_CHARACTER in text:
        raise ValueError(
            "line contains U+FFFD (\ufffd), which stands in for text that was not valid where it "
            "was typed or copied; MediaWiki forbids it in titles"
        )
    if text.startswith("//"):
        raise ValueError("only http and https URLs are accepted: start with https://")
    scheme, colon, _ = text.partition(":")
    if colon and scheme.strip().lower() in REJECTED_SCHEMES:
        raise ValueError("only http and https URLs are accepted")


def _url_split(text: str) -> SplitResult:
    try:
        return urlsplit(text)
    except ValueError:
        raise ValueError(f"not a valid URL: {_echo(text)}") from None


def _has_control(text: str) -> bool:
    return CONTROL_CHARACTER.search(text) is not None


def _echo(text: str) -> str:
    return text if len(text) <= MAX_ECHO_LENGTH else text[: MAX_ECHO_LENGTH - 1] + "…"
