"""Turning one entered line into an Entry: the accepted forms, their normalizations and the
lines refused, with the message each gets."""

import pytest

from checks.intake.parsing import Entry, entries_merge, entry_parse, wiki_normalize
from checks.intake.titles import title_invalid_reason, title_normalize

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
        "/wiki/Caf%C3%A9", "https://en.wikipedia.org/wiki/Caf%C3%A9", "Café", id="percent-path"
    ),
    pytest.param("Café", "https://en.wikipedia.org/wiki/Caf%C3%A9", "Café", id="unicode-title"),
    pytest.param(
        "Cafe\u0301", "https://en.wikipedia.org/wiki/Caf%C3%A9", "Café", id="combining-nfc"
    ),
    pytest.param("/wiki/100%25", "https://en.wikipedia.org/wiki/100%25", "100%", id="decoded-once"),
    pytest.param("100%", "https://en.wikipedia.org/wiki/100%25", "100%", id="bare-percent-sign"),
    pytest.param(
        "//en.wikipedia.org/wiki/Sea_water", SEA_WATER, "Sea water", id="protocol-relative"
    ),
    pytest.param(
        ":Sea water", "https://en.wikipedia.org/wiki/:Sea_water", ":Sea water", id="colon"
    ),
    pytest.param("C++", "https://en.wikipedia.org/wiki/C%2B%2B", "C++", id="plus-stays-plus"),
    pytest.param("AC/DC", "https://en.wikipedia.org/wiki/AC/DC", "AC/DC", id="slash-kept"),
    pytest.param(
        "Tom &amp; Jerry", "https://en.wikipedia.org/wiki/Tom_%26_Jerry", "Tom & Jerry", id="entity"
    ),
    pytest.param("Sea&#95;water", SEA_WATER, "Sea water", id="reference-to-underscore"),
    pytest.param("Ocean&#35;x", "https://en.wikipedia.org/wiki/Ocean", "Ocean", id="ref-hash"),
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
    entry = entry_parse(line, wiki=WIKI, allowed_hosts=PATTERNS, lines=(7,))

    assert entry == Entry(url=url, title=title, typed=line.strip(), lines=(7,))


def test_path_and_title_lines_use_the_chosen_wiki() -> None:
    wiki = "http://127.0.0.1:8001/wiki/"

    entries = [
        entry_parse(line, wiki=wiki, allowed_hosts=PATTERNS) for line in ["Ocean", "/wiki/Ocean"]
    ]

    assert {entry.url for entry in entries} == {"http://127.0.0.1:8001/wiki/Ocean"}


def test_a_protocol_relative_url_takes_the_scheme_of_the_chosen_wiki() -> None:
    entry = entry_parse(
        "//127.0.0.1:8001/wiki/Ocean", wiki="http://127.0.0.1:8001/wiki/", allowed_hosts=PATTERNS
    )

    assert entry.url == "http://127.0.0.1:8001/wiki/Ocean"
    assert entry.typed == "//127.0.0.1:8001/wiki/Ocean"


@pytest.mark.parametrize(
    "line",
    [
        *(param.values[0] for param in ACCEPTED if param.values[0].startswith(WIKI)),
        f"{WIKI}Foo[bar",
        f"{WIKI}A%7CB",
        f"{WIKI}Ocean?action=history",
        f"{WIKI}Ocean#History",
    ],
)
def test_a_url_of_the_chosen_wiki_reads_as_it_does_with_another_wiki_chosen(line: str) -> None:
    chosen = entry_parse(line, wiki=WIKI, allowed_hosts=PATTERNS)

    other = entry_parse(line, wiki="https://de.wikipedia.org/wiki/", allowed_hosts=PATTERNS)

    assert chosen == other


# -- entry_parse: namespaces -----------------------------------------------------------

NAMESPACE_NAMES = [
    *(
        (name, name)
        for name in [
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
        ]
    ),
    ("Image", "File"),
    ("Image talk", "File talk"),
]


@pytest.mark.parametrize(("typed", "canonical"), NAMESPACE_NAMES)
@pytest.mark.parametrize("spelling", [str, str.lower, str.upper], ids=["as-is", "lower", "upper"])
def test_every_namespace_prefix_is_a_title_with_its_canonical_name(typed, canonical, spelling):
    line = f"{spelling(typed)}:foo.png"

    entry = entry_parse(line, wiki=WIKI, allowed_hosts=PATTERNS)

    assert entry == Entry(
        url=f"{WIKI}{canonical.replace(' ', '_')}:foo.png",
        title=f"{canonical}:foo.png",
        typed=line,
    )


NAMESPACED_TITLES = [
    pytest.param("file:foo.png", "File:foo.png", id="lower-case-file"),
    pytest.param("File : Foo.png", "File:Foo.png", id="spaces-around-the-colon"),
    pytest.param("user_talk:Jimbo", "User talk:Jimbo", id="underscore-in-the-prefix"),
    pytest.param(":file:Foo.png", "File:Foo.png", id="leading-colon-then-namespace"),
    pytest.param("/wiki/image:Foo.png", "File:Foo.png", id="alias-in-a-path"),
    pytest.param("file:///etc/passwd", "File:///etc/passwd", id="file-url-is-a-file-title"),
    pytest.param("About: Schmidt", "About: Schmidt", id="unknown-prefix-kept-whole"),
    pytest.param("Data: X", "Data: X", id="data-prefix"),
    pytest.param("javascript:alert(1)", "javascript:alert(1)", id="scheme-like-prefix"),
    pytest.param("mailto:someone", "mailto:someone", id="mailto-prefix"),
    pytest.param("ftp://example.org/x", "ftp://example.org/x", id="other-scheme-url-is-a-title"),
    pytest.param("Wikipedia:About", "Wikipedia:About", id="project-name-of-one-wiki-kept"),
]


@pytest.mark.parametrize(("line", "title"), NAMESPACED_TITLES)
def test_a_prefixed_line_is_a_valid_title_on_the_chosen_wiki(line: str, title: str) -> None:
    entry = entry_parse(line, wiki=WIKI, allowed_hosts=PATTERNS)

    assert (entry.title, entry.invalid_reason) == (title, "")
    assert entry.url.startswith(WIKI)


# -- entry_parse: the 255-byte rule ----------------------------------------------------

TOO_LONG = "The requested page title is too long. It must be no longer than 255 bytes in UTF-8 "
LENGTHS = [
    pytest.param("a" * 255, "", id="255-bytes"),
    pytest.param("a" * 256, TOO_LONG, id="256-bytes"),
    pytest.param("é" * 127 + "a", "", id="255-utf8-bytes"),
    pytest.param("é" * 128, TOO_LONG, id="256-utf8-bytes"),
    pytest.param("File:" + "a" * 255, "", id="255-bytes-after-a-namespace"),
    pytest.param("Category talk:" + "a" * 256, TOO_LONG, id="256-bytes-after-a-namespace"),
    pytest.param("About:" + "a" * 249, "", id="unknown-prefix-counts-255"),
    pytest.param("About:" + "a" * 250, TOO_LONG, id="unknown-prefix-counts-256"),
    pytest.param("Special:" + "a" * 512, "", id="special-pages-may-have-512"),
    pytest.param(
        "Special:" + "a" * 513,
        "The requested page title is too long. It must be no longer than 512 bytes",
        id="special-pages-513",
    ),
    pytest.param("/wiki/" + "%C3%A9" * 128, TOO_LONG, id="url-title-counts-decoded-bytes"),
]


@pytest.mark.parametrize(("line", "reason"), LENGTHS)
def test_titles_may_have_255_bytes_without_their_namespace(line: str, reason: str) -> None:
    entry = entry_parse(line, wiki=WIKI, allowed_hosts=PATTERNS)

    assert entry.invalid_reason.startswith(reason) and bool(entry.invalid_reason) == bool(reason)


# -- entry_parse: titles MediaWiki forbids ---------------------------------------------

CHARACTERS = 'The requested page title contains invalid characters: "{}".'
EMPTY = "The requested page title is empty or contains only the name of a namespace."
UTF8 = "The requested page title contains an invalid UTF-8 sequence."
RELATIVE = "Title has relative path. Relative page titles (./, ../) are invalid"
FORBIDDEN = [
    *(
        pytest.param(f"A{char}B", CHARACTERS.format(char), id=f"character-{char}")
        for char in "[]{}|<>"
    ),
    pytest.param("Foo[bar", CHARACTERS.format("["), id="open-bracket"),
    pytest.param("<script>alert(1)</script>", CHARACTERS.format("<"), id="html"),
    pytest.param("A%41", CHARACTERS.format("%41"), id="percent-encoding-in-a-bare-title"),
    pytest.param("Caf%C3%A9", CHARACTERS.format("%C3"), id="encoded-bare-title"),
    pytest.param("/wiki/A%2541", CHARACTERS.format("%41"), id="percent-encoding-left-in-a-url"),
    pytest.param("/wiki/Sea%23water", CHARACTERS.format("#"), id="encoded-hash"),
    pytest.param("A&foo;B", CHARACTERS.format("&foo;"), id="unknown-entity"),
    pytest.param("/wiki/Tom_&amp;_Jerry", CHARACTERS.format("&amp;"), id="entity-in-a-url"),
    pytest.param("A&#91;B", CHARACTERS.format("["), id="numeric-reference-decoded"),
    pytest.param("A&#x5B;B", CHARACTERS.format("["), id="hex-reference-decoded"),
    pytest.param("A&#10;B", CHARACTERS.format("\n"), id="reference-to-a-line-feed"),
    pytest.param("A&#1;B", UTF8, id="reference-to-a-forbidden-code-point"),
    pytest.param("File:A|B", CHARACTERS.format("|"), id="character-after-a-namespace"),
    pytest.param(
        "~~~~",
        "The requested page title contains invalid magic tilde sequence (~~~).",
        id="signature-tildes",
    ),
    pytest.param(
        "Talk:A~~~B",
        "The requested page title contains invalid magic tilde sequence (~~~).",
        id="three-tildes",
    ),
    pytest.param("Talk:", EMPTY, id="namespace-alone"),
    pytest.param("file : ", EMPTY, id="namespace-alone-spaced"),
    pytest.param(":", EMPTY, id="colon-alone"),
    pytest.param("_ #History", EMPTY, id="empty-title"),
    pytest.param("https://en.wikipedia.org/wiki/", EMPTY, id="empty-url-title"),
    pytest.param(
        "::Foo",
        "The requested page title contains an invalid colon at the beginning.",
        id="two-leading-colons",
    ),
    pytest.param(
        "Talk:File:Foo.png",
        "The requested page title refers to an incorrectly specified talk page",
        id="talk-of-another-namespace",
    ),
    pytest.param("A\ufffeB", UTF8, id="non-character-fffe"),
    pytest.param("A\uffffB", UTF8, id="non-character-ffff"),
    pytest.param("Sea\ufffdwater", UTF8, id="replacement-character"),
    pytest.param("/wiki/Caf%E9", UTF8, id="escape-that-is-not-utf8"),
    pytest.param(".", RELATIVE, id="single-dot"),
    pytest.param("..", RELATIVE, id="two-dots"),
    pytest.param("./x", RELATIVE, id="dot-slash"),
    pytest.param("../x", RELATIVE, id="dot-dot-slash"),
    pytest.param("AC/./DC", RELATIVE, id="dot-segment"),
    pytest.param("AC/..", RELATIVE, id="trailing-dot-dot"),
    pytest.param("File:../x", RELATIVE, id="relative-after-a-namespace"),
    pytest.param("/wiki/../w/api.php", RELATIVE, id="dot-dot-path"),
    pytest.param("https://en.wikipedia.org/wiki/%2E%2E", RELATIVE, id="encoded-dot-dot"),
]


@pytest.mark.parametrize(("line", "reason"), FORBIDDEN)
def test_a_title_mediawiki_forbids_is_an_entry_with_mediawikis_reason(line: str, reason: str):
    entry = entry_parse(line, wiki=WIKI, allowed_hosts=PATTERNS)

    assert entry.invalid_reason.startswith(reason)
    assert entry.url.startswith(WIKI)


def test_a_forbidden_title_keeps_its_text_for_the_row():
    entry = entry_parse("Foo[bar", wiki=WIKI, allowed_hosts=PATTERNS)

    assert (entry.url, entry.title) == (WIKI + "Foo%5Bbar", "Foo[bar")


# -- entry_parse: rejected lines -----------------------------------------------------

REJECTED = [
    pytest.param("//evil.example/wiki/X", "host evil.example is not", id="protocol-relative"),
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
    pytest.param("/wiki/Sea%00water", "title contains a control character", id="encoded-nul"),
    pytest.param(
        "https://en.wikipedia.org/wiki/A%0D%0AHost:x", "control character", id="encoded-crlf"
    ),
    pytest.param("a" * 2049, "line is too long (2049 characters", id="line-too-long"),
    pytest.param("Sea\x00water", "line contains a control character", id="nul"),
    pytest.param("Sea\x7fwater", "control character", id="del"),
    pytest.param("Sea\x85water", "control character", id="c1-control"),
    pytest.param("Sea\twater", "control character", id="tab-inside"),
    pytest.param("Sea\ud800water", "not valid text (U+D800)", id="lone-surrogate"),
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


@pytest.mark.parametrize(
    ("title", "valid"),
    [
        ("Foo (bar), it's *big*!?", True),
        ("a" * 255, True),
        ("a" * 256, False),
        ("   ", False),
        ("a%41", False),
        ("A~~~", False),
        ("A/./b", False),
        ("Talk:", False),
        ("", False),
    ],
)
def test_a_title_of_plain_characters_is_judged_by_the_same_rules(title: str, valid: bool) -> None:
    assert (title_invalid_reason(title) == "") is valid


@pytest.mark.parametrize(
    ("raw", "tidy"),
    [
        ("Foo_bar (baz)", "Foo bar (baz)"),
        ("Foo__bar", "Foo bar"),
        ("_Foo", "Foo"),
        ("Foo_ ", "Foo"),
        ("file:Foo_bar", "File:Foo bar"),
    ],
)
def test_a_title_of_plain_words_is_tidied_by_the_same_rules(raw: str, tidy: str) -> None:
    assert title_normalize(raw) == tidy


def test_entries_naming_one_page_are_merged_where_it_first_came_with_all_their_lines() -> None:
    lines = ["Ocean", "Island", "/wiki/Ocean", "Shark", f"{WIKI}Ocean"]
    entries = [
        entry_parse(line, wiki=WIKI, allowed_hosts=PATTERNS, lines=(number,))
        for number, line in enumerate(lines, start=1)
    ]

    merged = entries_merge(entries)

    assert [(entry.title, entry.typed, entry.lines) for entry in merged] == [
        ("Ocean", "Ocean", (1, 3, 5)),
        ("Island", "Island", (2,)),
        ("Shark", "Shark", (4,)),
    ]


@pytest.mark.parametrize(
    ("line", "url", "title"),
    [
        ("Sea-water (a, b)!*", f"{WIKI}Sea-water_(a,_b)!*", "Sea-water (a, b)!*"),
        ("Page_12 x", f"{WIKI}Page_12_x", "Page 12 x"),
        ("Q&A", f"{WIKI}Q%26A", "Q&A"),
        ("Who?", f"{WIKI}Who%3F", "Who?"),
    ],
)
def test_a_title_line_keeps_the_characters_urls_allow_and_quotes_the_others(
    line: str, url: str, title: str
) -> None:
    entry = entry_parse(line, wiki=WIKI, allowed_hosts=PATTERNS, lines=(7,))

    assert entry == Entry(url, title, "", line, (7,))


def test_a_title_line_for_a_wiki_not_allowed_is_refused() -> None:
    with pytest.raises(ValueError, match="not an allowed wiki host"):
        entry_parse("Ocean", wiki="https://evil.example/wiki/", allowed_hosts=PATTERNS)
