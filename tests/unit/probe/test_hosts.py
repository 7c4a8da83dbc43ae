"""Host patterns: which scheme, host and port each allow-list pattern lets through."""

import pytest

from checks.probe.hosts import host_allowed, host_port, host_value, url_allowed

PATTERNS = ["*.wikipedia.org", "127.0.0.1:8001"]


# -- host_allowed ---------------------------------------------------------------------------

HOSTS = [
    pytest.param("https", "en.wikipedia.org", None, True, id="subdomain"),
    pytest.param("https", "en.m.wikipedia.org", None, True, id="deeper-subdomain"),
    pytest.param("https", "EN.Wikipedia.ORG.", None, True, id="case-and-trailing-dot"),
    pytest.param("https", "en.wikipedia.org", 443, True, id="explicit-default-port"),
    pytest.param("http", "en.wikipedia.org", 80, True, id="http-default-port"),
    pytest.param("https", "en.wikipedia.org", 80, False, id="non-default-port"),
    pytest.param("https", "wikipedia.org", None, False, id="apex-not-matched-by-wildcard"),
    pytest.param("https", "evilwikipedia.org", None, False, id="suffix-without-dot"),
    pytest.param("https", "wikipedia.org.evil.com", None, False, id="pattern-as-prefix"),
    pytest.param("https", "evil/.wikipedia.org", None, False, id="malformed-host"),
    pytest.param("ftp", "en.wikipedia.org", None, False, id="other-scheme"),
    pytest.param("http", "127.0.0.1", 8001, True, id="named-ip-and-port"),
    pytest.param("http", "127.0.0.1", None, False, id="named-ip-wrong-port"),
    pytest.param("http", "127.0.0.2", 8001, False, id="other-ip"),
]


@pytest.mark.parametrize(("scheme", "host", "port", "expected"), HOSTS)
def test_host_allowed_matches_patterns(
    scheme: str, host: str, port: int | None, expected: bool
) -> None:
    allowed = host_allowed(scheme=scheme, host=host, port=port, patterns=PATTERNS)

    assert allowed is expected


def test_host_pattern_with_port_wildcard_matches_any_port() -> None:
    patterns = ["wiki.example.org:*"]

    allowed = [
        host_allowed(scheme="http", host="wiki.example.org", port=port, patterns=patterns)
        for port in [None, 8001, 65535]
    ]

    assert allowed == [True, True, True]


def test_wildcard_pattern_never_matches_an_ip() -> None:
    patterns = ["*.0.0.1:*"]

    allowed = host_allowed(scheme="http", host="127.0.0.1", port=8001, patterns=patterns)

    assert allowed is False


def test_ipv6_pattern_matches_only_that_address() -> None:
    patterns = ["[::1]:8001"]

    allowed = [
        host_allowed(scheme="http", host=host, port=8001, patterns=patterns)
        for host in ["::1", "0:0:0:0:0:0:0:1", "::2"]
    ]

    assert allowed == [True, True, False]


# -- url_allowed -----------------------------------------------------------------------------

URLS = [
    pytest.param("https://en.wikipedia.org/wiki/Ocean", True, id="allowed"),
    pytest.param("https://evil.example/wiki/Ocean", False, id="other-host"),
    pytest.param("http://127.0.0.1:8001/wiki/Ocean", True, id="named-ip-and-port"),
    pytest.param("http://127.0.0.1:99999/wiki/Ocean", False, id="port-out-of-range"),
    pytest.param("not a url", False, id="no-url"),
]


@pytest.mark.parametrize(("url", "expected"), URLS)
def test_url_allowed_matches_the_urls_scheme_host_and_port(url: str, expected: bool) -> None:
    allowed = url_allowed(url, patterns=PATTERNS)

    assert allowed is expected


# -- host_value ------------------------------------------------------------------------------

LIMITS = [("en.wikipedia.org", 2), ("*.wikipedia.org", 4), ("wiki.example.org:*", 8)]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param("https://en.wikipedia.org/wiki/X", 2, id="first-of-two-matches"),
        pytest.param("https://de.wikipedia.org/wiki/X", 4, id="wildcard"),
        pytest.param("http://wiki.example.org:8080/wiki/X", 8, id="any-port"),
        pytest.param("https://evil.example/wiki/X", 0, id="no-match-gives-the-default"),
    ],
)
def test_host_value_is_the_value_of_the_first_matching_pattern(url: str, expected: int) -> None:
    value = host_value(url=url, pairs=LIMITS, default=0)

    assert value == expected


# -- host_port -------------------------------------------------------------------------------


def test_host_port_fills_in_the_default_port_so_both_spellings_name_one_host() -> None:
    names = {
        host_port(url)
        for url in ["https://en.wikipedia.org/wiki/X", "https://en.wikipedia.org:443/w/api.php"]
    }

    assert names == {"en.wikipedia.org:443"}
