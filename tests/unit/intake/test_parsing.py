"""Turning one entered line into an Entry: the accepted forms, their normalizations and the
lines refused, with the message each gets."""

import pytest

from checks.intake.parsing import Entry, entry_parse, wiki_normalize

WIKI = "https://en.wikipedia.org/wiki/"
PATTERNS = ["*.wikipedia.org", "127.0.0.1:8001"]
SEA_WATER = "https://en.wikipedia.org/wiki/Sea_water"


# -- entry_parse: accepted lines -----------------------------------------------------

ACCEPTED = [
    pytest.param("Ocean", "https://en.wikipedia.org/wiki/Ocean", "Ocean", id="bare-title"),
    pytest.param("Sea water", SEA_WATER, "Sea water", id="bare-title-with-space"),
    pytest.param("Sea_water", SEA_WATER, "Sea water", id="bare-title-with-underscore"),
    pytest.param("  Sea   water \t", SEA_WATER, "Sea water", id="whitespace-collapsed"),
    pytest.param("_Sea__water_", SEA_WATER, "Sea water", id="underscores-collapsed-and-stripped"),
    pytest.param("Sea water#History", SEA_WATER, "Sea water", id="bare-title-fragment-dropped"),
    pytest.param(SEA_WATER, SEA_WATER, "Sea water", id="page-url"),
    pytest.param(
        "https://en.m.wikipedia.org/wiki/Sea%20water", SEA_WATER, "Sea water", id="mobile-url"
    ),
    pytest.param(
        "https://EN.wikipedia.org/w/index.php?title=Sea_water&action=view",
        SEA_WATER,
        "Sea water",
        id="index-php-url-upper-case-host",
    ),
    pytest.param(
        "https://en.wikipedia.org/w/index.php?action=edit&title=Sea+water",
        SEA_WATER,
        "Sea water",
        id="index-php-plus-is-space-in-query",
    ),
    pytest.param("/wiki/Sea_water#History", SEA_WATER, "Sea water", id="wiki-path-fragment"),
    pytest.param("/w/index.php?title=Sea_water", SEA_WATER, "Sea water", id="index-php-path"),
    pytest.param(
        "https://en.wikipedia.org/wiki/Sea_water?action=history",
        SEA_WATER,
        "Sea water",
        id="page-url-query-dropped",
    ),
    pytest.param(
        "HTTPS://en.wikipedia.org/wiki/Sea_water", SEA_WATER, "Sea water", id="upper-scheme"
    ),
    pytest.param("https://en.wikipedia.org./wiki/Sea_water", SEA_WATER, "Sea water", id="host-dot"),
    pytest.param(
        "https://en.wikipedia.org:443/wiki/Sea_water", SEA_WATER, "Sea water", id="default-port"
    ),
    pytest.param(
        "https://de.wikipedia.org/wiki/Meerwasser",
        "https://de.wikipedia.org/wiki/Meerwasser",
        "Meerwasser",
        id="url-on-another-allowed-wiki",
    ),
    pytest.param(
        "http://127.0.0.1:8001/wiki/Ocean",
        "http://127.0.0.1:8001/wiki/Ocean",
        "Ocean",
        id="allowed-ip-and-port",
    ),
    pytest.param(
        "Caf%C3%A9", "https://en.wikipedia.org/wiki/Caf%C3%A9", "Café", id="percent-title"
    ),
    pytest.param("Café", "https://en.wikipedia.org/wiki/Caf%C3%A9", "Café", id="unicode-title"),
    pytest.param(
        "Cafe\u0301", "https://en.wikipedia.org/wiki/Caf%C3%A9", "Café", id="combining-nfc"
    ),
    pytest.param("100%25", "https://en.wikipedia.org/wiki/100%25", "100%", id="decoded-once"),
    pytest.param("C++", "https://en.wikipedia.org/wiki/C%2B%2B", "C++", id="plus-stays-plus"),
    pytest.param("AC/DC", "https://en.wikipedia.org/wiki/AC/DC", "AC/DC", id="slash-kept"),
    pytest.param(
        "What?&'\"", "https://en.wikipedia.org/wiki/What%3F%26%27%22", "What?&'\"", id="escaped"
    ),
    pytest.param(
        "Help:Contents", "https://en.wikipedia.org/wiki/Help:Contents", "Help:Contents", id="ns"
    ),
    pytest.param(
        "Star Wars: Episode I",
        "https://en.wikipedia.org/wiki/Star_Wars:_Episode_I",
        "Star Wars: Episode I",
        id="colon-in-title",
    ),
    pytest.param(
        "this_page_does_not_exist",
        "https://en.wikipedia.org/wiki/this_page_does_not_exist",
        "this page does not exist",
        id="lower-case-kept",
    ),
    pytest.param("ים", "https://en.wikipedia.org/wiki/%D7%99%D7%9D", "ים", id="hebrew"),
    pytest.param("\u200fبحر", "https://en.wikipedia.org/wiki/%D8%A8%D8%AD%D8%B1", "بحر", id="rtl"),
    pytest.param(
        '"onmouseover=alert(1)',
        "https://en.wikipedia.org/wiki/%22onmouseover%3Dalert(1)",
        '"onmouseover=alert(1)',
        id="odd-but-valid",
    ),
    pytest.param(
        "a" * 255, "https://en.wikipedia.org/wiki/" + "a" * 255, "a" * 255, id="255-bytes"
    ),
]


@pytest.mark.parametrize(("line", "url", "title"), ACCEPTED)
def test_accepted_line_becomes_canonical_entry(line: str, url: str, title: str) -> None:
    entry = entry_parse(line, wiki=WIKI, allowed_hosts=PATTERNS)

    assert entry == Entry(url=url, title=title)


def test_path_and_title_lines_use_the_chosen_wiki() -> None:
    wiki = "http://127.0.0.1:8001/wiki/"

    entries = [
        entry_parse(line, wiki=wiki, allowed_hosts=PATTERNS) for line in ["Ocean", "/wiki/Ocean"]
    ]

    assert {entry.url for entry in entries} == {"http://127.0.0.1:8001/wiki/Ocean"}


# -- entry_parse: rejected lines -----------------------------------------------------

REJECTED = [
    *(
        pytest.param(f"{scheme}:x", "only http and https", id=f"scheme-{scheme}")
        for scheme in ["javascript", "data", "file", "ftp", "mailto", "vbscript", "wss", "about"]
    ),
    pytest.param("JavaScript :alert(1)", "only http and https", id="scheme-case-and-space"),
    pytest.param("//en.wikipedia.org/wiki/X", "only http and https", id="protocol-relative"),
    pytest.param("https://en.wikipedia.org@evil.example/", "user names", id="userinfo-host"),
    pytest.param("https://user:pw@en.wikipedia.org/wiki/X", "user names", id="userinfo-pw"),
    pytest.param("https://evil.example\\.wikipedia.org/wiki/X", "backslashes", id="backslash"),
    pytest.param("https:///wiki/X", "no host", id="missing-host"),
    pytest.param("https://en.wikipedia.org:http/wiki/X", "port http", id="port-not-number"),
    pytest.param("https://en.wikipedia.org:70000/wiki/X", "port 70000", id="port-out-of-range"),
    pytest.param("https://en.wiki_pedia.org/wiki/X", "not a valid host name", id="bad-host"),
    pytest.param("http://[::1/wiki/X", "not a valid URL", id="broken-ipv6"),
    pytest.param("https://evil.example/wiki/X", "host evil.example is not", id="other-host"),
    pytest.param(
        "https://en.wikipedia.org.evil.example/wiki/X", "not an allowed wiki host", id="suffixed"
    ),
    pytest.param("https://wikipedia.org.example/wiki/X", "not an allowed", id="look-alike"),
    pytest.param("https://wikipedia.org/wiki/X", "not an allowed", id="bare-domain"),
    pytest.param("https://evilwikipedia.org/wiki/X", "not an allowed", id="prefixed-domain"),
    pytest.param("https://en.wikipedia.org:8443/wiki/X", "org:8443 is not", id="other-port"),
    pytest.param("http://127.0.0.1/", "host 127.0.0.1 is not", id="loopback-default-port"),
    pytest.param("http://localhost/", "host localhost is not", id="localhost"),
    pytest.param("http://169.254.169.254/", "host 169.254.169.254 is not", id="metadata-ip"),
    pytest.param("http://[::1]/", "host [::1] is not", id="ipv6-loopback"),
    pytest.param("http://2130706433/", "not an allowed", id="decimal-ip"),
    pytest.param("http://0x7f000001/", "not an allowed", id="hex-ip"),
    pytest.param("https://en.wikipedia.org/", "not a page URL", id="root-path"),
    pytest.param("https://en.wikipedia.org/foo", "not a page URL", id="other-path"),
    pytest.param("https://en.wikipedia.org/w/index.php?action=raw", "title=", id="no-title-param"),
    pytest.param("https://en.wikipedia.org/wiki/", "title is empty", id="empty-url-title"),
    pytest.param("_ #History", "title is empty", id="empty-title"),
    pytest.param("Foo[bar]", "forbids: '['", id="bracket"),
    pytest.param("<script>alert(1)</script>", "forbids: '<'", id="html"),
    pytest.param("A|B", "forbids: '|'", id="pipe"),
    pytest.param("A{{B}}", "forbids: '{'", id="brace"),
    pytest.param("Sea%23water", "forbids: '#'", id="encoded-hash"),
    pytest.param("Caf%E9", "not valid UTF-8", id="invalid-utf8-escape"),
    pytest.param("Sea%00water", "title contains a control character", id="encoded-nul"),
    pytest.param("a" * 256, "longer than 255 bytes", id="title-too-long"),
    pytest.param("é" * 128, "longer than 255 bytes", id="title-too-long-in-utf8"),
    pytest.param("/wiki/../w/api.php", "relative path", id="dot-dot-path"),
    pytest.param("https://en.wikipedia.org/wiki/%2E%2E", "relative path", id="encoded-dot-dot"),
    pytest.param("AC/./DC", "relative path", id="dot-segment"),
    pytest.param(".", "relative path", id="single-dot"),
    pytest.param("a" * 2049, "line is too long (2049 characters", id="line-too-long"),
    pytest.param("Sea\x00water", "line contains a control character", id="nul"),
    pytest.param("Sea\x7fwater", "control character", id="del"),
    pytest.param("Sea\x85water", "control character", id="c1-control"),
    pytest.param("Sea\twater", "control character", id="tab-inside"),
]


@pytest.mark.parametrize(("line", "phrase"), REJECTED)
def test_rejected_line_raises_specific_message(line: str, phrase: str) -> None:
    with pytest.raises(ValueError) as error:
        entry_parse(line, wiki=WIKI, allowed_hosts=PATTERNS)

    assert phrase in str(error.value)


def test_error_message_truncates_long_input() -> None:
    line = "https://" + "x" * 500 + ".example/wiki/X"

    with pytest.raises(ValueError) as error:
        entry_parse(line, wiki=WIKI, allowed_hosts=PATTERNS)

    assert "…" in str(error.value)
    assert len(str(error.value)) < 150


# -- wiki_normalize ------------------------------------------------------------------

WIKIS = [
    pytest.param("https://en.wikipedia.org/wiki/", WIKI, id="already-normal"),
    pytest.param("https://de.wikipedia.org/wiki", "https://de.wikipedia.org/wiki/", id="no-slash"),
    pytest.param("de.wikipedia.org", "https://de.wikipedia.org/wiki/", id="bare-host"),
    pytest.param("https://DE.wikipedia.org/", "https://de.wikipedia.org/wiki/", id="root"),
    pytest.param("https://en.m.wikipedia.org/wiki/", WIKI, id="mobile"),
    pytest.param("https://en.wikipedia.org:443/wiki/", WIKI, id="default-port"),
    pytest.param(
        "http://127.0.0.1:8001/wiki/", "http://127.0.0.1:8001/wiki/", id="local-fake-wiki"
    ),
]


@pytest.mark.parametrize(("value", "expected"), WIKIS)
def test_wiki_normalize_returns_article_base(value: str, expected: str) -> None:
    wiki = wiki_normalize(value, allowed_hosts=PATTERNS)

    assert wiki == expected


BAD_WIKIS = [
    pytest.param("https://en.wikipedia.org/wiki/Ocean", "article path", id="page-not-wiki"),
    pytest.param("https://en.wikipedia.org/w/", "article path", id="other-path"),
    pytest.param("", "article path", id="empty"),
    pytest.param("https://en.wikipedia.org/wiki/?uselang=de", "query", id="query"),
    pytest.param("ftp://en.wikipedia.org/wiki/", "only http and https", id="ftp"),
    pytest.param("gopher://en.wikipedia.org/wiki/", "only http and https", id="gopher"),
    pytest.param("https://u:p@en.wikipedia.org/wiki/", "user names", id="userinfo"),
    pytest.param("https://evil.example/wiki/", "not an allowed wiki host", id="other-host"),
    pytest.param("http://169.254.169.254/wiki/", "not an allowed wiki host", id="metadata-ip"),
]


@pytest.mark.parametrize(("value", "phrase"), BAD_WIKIS)
def test_wiki_normalize_rejects_unusable_wiki(value: str, phrase: str) -> None:
    with pytest.raises(ValueError) as error:
        wiki_normalize(value, allowed_hosts=PATTERNS)

    assert phrase in str(error.value)


def test_wiki_normalize_is_idempotent() -> None:
    wiki = wiki_normalize("en.m.wikipedia.org", allowed_hosts=PATTERNS)

    again = wiki_normalize(wiki, allowed_hosts=PATTERNS)

    assert again == wiki
