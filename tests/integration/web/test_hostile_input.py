"""Hostile input, end to end through the submit view as a browser would send it.

Every row of the table is either accepted, and stored as its documented normalization (see
``checks/intake/parsing.py``; a title MediaWiki forbids is stored too, as a row the wiki is asked
about, and the page says so), or refused with a specific error that names the line, leaving the
database unchanged. The tests after the table check that stored text renders escaped on every
page, the admin included.
"""

from dataclasses import dataclass
from urllib.parse import quote

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http.multipartparser import MultiPartParser
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from checks.engine.backends.base import Backend
from checks.engine.backends.threads import ThreadsBackend
from checks.models import Batch, Result

WIKI = "https://en.wikipedia.org/wiki/"
# Small, so that the too-many-entries rows stay small; every accepted row has fewer entries.
MAX_BATCH = 5
MEGABYTE = 1024 * 1024
# Django's own messages say what is wrong but not where; none may answer hostile input here.
GENERIC_MESSAGES = ("Enter a valid", "This field is required", "Null characters", "invalid")
SCRIPT = "<script>alert(1)</script>"
# A Hebrew title, written right to left.
SHALOM = "שלום"
SHALOM_URL_TITLE = "%D7%A9%D7%9C%D7%95%D7%9D"
ATTRIBUTE_BREAKOUT = '"><img src=x onerror=alert(1)>'


@pytest.fixture(autouse=True)
def workers_asleep(monkeypatch):
    # Accepted rows create batches on the real en.wikipedia.org; with the workers never woken,
    # no request ever leaves this process.
    monkeypatch.setattr(ThreadsBackend, "work_submitted", Backend.work_submitted)


@pytest.fixture(autouse=True)
def wikipedia_defaults(settings):
    settings.WIKICHECK_ALLOWED_HOSTS = ["*.wikipedia.org"]
    settings.WIKICHECK_DEFAULT_WIKI = WIKI
    settings.WIKICHECK_MAX_BATCH = MAX_BATCH


# --- The table ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    """A file to attach; ``repeat`` builds a large one only when the row runs."""

    name: str
    content: bytes
    repeat: int = 1

    def file(self) -> SimpleUploadedFile:
        return SimpleUploadedFile(
            self.name, self.content * self.repeat, content_type="application/octet-stream"
        )


@dataclass(frozen=True)
class Stored:
    """Accepted: a redirect to the new batch, whose results are these (url, title) in order."""

    results: tuple[tuple[str, str], ...]
    duplicates: int = 0
    # The message after the submission, when lines became rows of invalid titles.
    message: str = ""

    def assert_matches(self, response) -> None:
        assert response.status_code == 302, _errors(response)
        batch = Batch.objects.get()
        assert response.url == batch.get_absolute_url()
        assert tuple(batch.results.order_by("position").values_list("url", "title")) == (
            self.results
        )
        assert (batch.total, batch.duplicates) == (len(self.results), self.duplicates)
        shown = [str(message) for message in get_messages(response.wsgi_request)]
        assert shown == ([self.message] if self.message else [])


@dataclass(frozen=True)
class Refused:
    """Refused: this message (naming the line when there is one) is shown; nothing is stored."""

    message: str
    status: int = 200

    def assert_matches(self, response) -> None:
        errors = _errors(response)
        assert response.status_code == self.status
        assert any(error.startswith(self.message) for error in errors), errors
        assert escape(self.message) in response.content.decode()
        assert not [error for error in errors if any(g in error for g in GENERIC_MESSAGES)]
        assert Batch.objects.count() == 0 and Result.objects.count() == 0


def _errors(response) -> list[str]:
    """Every error message the page shows: the request's, the form's and its fields'."""
    if response.context is None:
        return []
    if "request_error" in response.context:
        return [response.context["request_error"]]
    return [e for errors in response.context["form"].errors.values() for e in errors]


def line(number: int, reason: str) -> Refused:
    return Refused(f"Line {number}: {reason}")


def page(title: str, url_title: str | None = None) -> tuple[str, str]:
    return (WIKI + (url_title or title.replace(" ", "_")), title)


NOT_ALLOWED = "is not an allowed wiki host"
ONLY_WEB = "only http and https URLs are accepted"
ONE_INVALID = "1 line is not a valid title; it is listed as an invalid title in the batch."


def invalid_lines(count: int) -> str:
    return f"{count} lines are not valid titles; they are listed as invalid titles in the batch."


ACCEPTED = [
    pytest.param(
        {"urls": "https://en.wikipedia.org/wiki/Ocean#History"},
        Stored((page("Ocean"),)),
        id="fragment-dropped",
    ),
    pytest.param(
        {"urls": "https://en.wikipedia.org/wiki/Ocean?action=history&oldid=1"},
        Stored((page("Ocean"),)),
        id="query-string-dropped",
    ),
    pytest.param(
        {"urls": "https://en.wikipedia.org/w/index.php?action=edit&title=Sea+water#top"},
        Stored((page("Sea water"),)),
        id="index-php-keeps-only-title",
    ),
    pytest.param(
        {"urls": "https://en.m.wikipedia.org/wiki/Ocean"},
        Stored((page("Ocean"),)),
        id="mobile-host-mapped",
    ),
    pytest.param(
        {"urls": "HTTPS://EN.Wikipedia.ORG.:443/wiki/Ocean"},
        Stored((page("Ocean"),)),
        id="host-case-dot-and-default-port",
    ),
    pytest.param(
        {"urls": "/wiki/Ocean#History"},
        Stored((page("Ocean"),)),
        id="wiki-path-on-chosen-wiki",
    ),
    pytest.param(
        {"urls": "/wiki/Data:_Structures"},
        Stored((page("Data: Structures", "Data:_Structures"),)),
        id="scheme-like-title-as-path",
    ),
    pytest.param(
        {"urls": SHALOM},
        Stored((page(SHALOM, SHALOM_URL_TITLE),)),
        id="rtl-title",
    ),
    pytest.param(
        {"urls": f"\u200f{SHALOM}\u200e\n\u202eبحر"},
        Stored((page(SHALOM, SHALOM_URL_TITLE), page("بحر", "%D8%A8%D8%AD%D8%B1"))),
        id="rtl-direction-marks-removed",
    ),
    pytest.param(
        {"urls": "Cafe\u0301"},
        Stored((page("Café", "Caf%C3%A9"),)),
        id="combining-accent-nfc",
    ),
    pytest.param(
        {"urls": "https://en.wikipedia.org/wiki/100%25\nhttps://en.wikipedia.org/wiki/100%2525"},
        Stored((page("100%", "100%25"), page("100%25", "100%2525")), message=ONE_INVALID),
        id="percent-decoded-once-an-escape-left-is-invalid",
    ),
    pytest.param(
        {"urls": "  Sea__water \t"},
        Stored((page("Sea water"),)),
        id="whitespace-and-underscores-collapsed",
    ),
    pytest.param(
        {"urls": "Sea\u2028water"},
        Stored((page("Sea water"),)),
        id="line-separator-is-whitespace-in-a-title",
    ),
    pytest.param(
        {"urls": "Tom & Jerry's"},
        Stored((page("Tom & Jerry's", "Tom_%26_Jerry%27s"),)),
        id="ampersand-and-quote",
    ),
    pytest.param(
        {"urls": '"onmouseover=alert(1)'},
        Stored((page('"onmouseover=alert(1)', "%22onmouseover%3Dalert(1)"),)),
        id="attribute-payload-is-a-valid-title",
    ),
    pytest.param(
        {"urls": "é" * 127 + "a"},
        Stored((page("é" * 127 + "a", "%C3%A9" * 127 + "a"),)),
        id="title-of-255-bytes",
    ),
    pytest.param(
        {"urls": "\r\n\r\nOcean\r\n\r\nIsland\r\n"},
        Stored((page("Ocean"), page("Island"))),
        id="blank-lines-and-crlf",
    ),
    pytest.param(
        {"urls": "Ocean\nhttps://en.m.wikipedia.org/wiki/Ocean#x\nOcean"},
        Stored((page("Ocean"),), duplicates=2),
        id="duplicates-merged",
    ),
    pytest.param(
        {"urls": "Ocean", "wiki": "https://en.wikipedia.org/"},
        Stored((page("Ocean"),)),
        id="wiki-root-means-article-path",
    ),
    pytest.param(
        {"urls": "Meer", "wiki": "de.m.wikipedia.org"},
        Stored((("https://de.wikipedia.org/wiki/Meer", "Meer"),)),
        id="wiki-bare-mobile-host",
    ),
    pytest.param(
        {"file": Upload("pages.txt", "\ufeffOcean\r\nCafé\r\n".encode())},
        Stored((page("Ocean"), page("Café", "Caf%C3%A9"))),
        id="txt-file-with-bom-and-crlf",
    ),
    pytest.param(
        {"file": Upload("pages.csv", b'url,note\n"Washington, D.C.",x\n')},
        Stored((page("Washington, D.C.", "Washington,_D.C."),)),
        id="csv-header-and-quoted-comma",
    ),
    # Lines with a scheme-like prefix are titles, looked up on the chosen wiki only.
    pytest.param(
        {"urls": "javascript:alert(1)"},
        Stored((page("javascript:alert(1)"),)),
        id="javascript-prefix-is-a-title",
    ),
    pytest.param(
        {"urls": "file:///etc/passwd"},
        Stored((page("File:///etc/passwd"),)),
        id="file-url-is-a-file-title",
    ),
    pytest.param(
        {"urls": "ftp://evil.example/x"},
        Stored((page("ftp://evil.example/x"),)),
        id="ftp-url-is-a-title-on-the-chosen-wiki",
    ),
    pytest.param(
        {"urls": "Data: X\nfile:foo.png"},
        Stored((page("Data: X", "Data:_X"), page("File:foo.png"))),
        id="namespace-and-unknown-prefix",
    ),
    pytest.param(
        {"urls": "//en.m.wikipedia.org/wiki/Ocean"},
        Stored((page("Ocean"),)),
        id="protocol-relative-takes-the-wikis-scheme",
    ),
    # Titles MediaWiki forbids: rows of the batch, counted in a message.
    *(
        pytest.param(
            {"urls": f"Ocean\nA{char}B"},
            Stored((page("Ocean"), page(f"A{char}B", f"A{quote(char)}B")), message=ONE_INVALID),
            id=f"title-{name}",
        )
        for char, name in [
            ("[", "open-bracket"),
            ("]", "close-bracket"),
            ("{", "open-brace"),
            ("}", "close-brace"),
            ("|", "pipe"),
            ("<", "less-than"),
            (">", "greater-than"),
        ]
    ),
    pytest.param(
        {"urls": "Ocean\nA%23B\nCaf%E9\n" + "é" * 128},
        Stored(
            (
                page("Ocean"),
                page("A%23B", "A%2523B"),
                page("Caf%E9", "Caf%25E9"),
                page("é" * 128, "%C3%A9" * 128),
            ),
            message=invalid_lines(3),
        ),
        id="percent-escapes-in-titles-and-a-title-over-255-bytes",
    ),
    pytest.param(
        {"urls": f"Ocean\nSea\ufffdwater\n{SCRIPT}"},
        Stored(
            (
                page("Ocean"),
                page("Sea\ufffdwater", "Sea%EF%BF%BDwater"),
                page(SCRIPT, quote(SCRIPT, safe="()/")),
            ),
            message=invalid_lines(2),
        ),
        id="replacement-character-and-script",
    ),
    pytest.param(
        {"urls": "Ocean\n/wiki/../w/api.php\nhttps://en.wikipedia.org/wiki/#Top"},
        Stored((page("Ocean"), page("../w/api.php"), page("")), message=invalid_lines(2)),
        id="relative-and-empty-titles",
    ),
]

REFUSED = [
    # Nothing, or too much, to check.
    pytest.param(
        {"urls": ""}, Refused("Enter at least one page URL or title"), id="empty-submission"
    ),
    pytest.param(
        {"urls": "  \n\t\r\n\u3000\n"},
        Refused("Enter at least one page URL or title"),
        id="whitespace-only",
    ),
    pytest.param(
        {"urls": "\n".join(f"Page {n}" for n in range(MAX_BATCH + 1))},
        Refused(f"{MAX_BATCH + 1} entries; a batch holds at most {MAX_BATCH}. Line 6 is the first"),
        id="more-entries-than-the-batch-limit",
    ),
    pytest.param(
        {"urls": "A\nB\nC", "file": Upload("pages.txt", b"D\n\nE\nF\n")},
        Refused("6 entries; a batch holds at most 5. File line 4 is the first"),
        id="batch-limit-counts-file-lines",
    ),
    pytest.param(
        {"file": Upload("pages.txt", b"Ocean\n", repeat=20 * MEGABYTE // 6)},
        Refused("The submission is larger than 5,242,880 bytes, so it was not read", status=413),
        id="20-mb-upload",
    ),
    pytest.param(
        {"file": Upload("pages.txt", b"x", repeat=5 * MEGABYTE + 1)},
        Refused("The file is 5,242,881 bytes; at most 5,242,880 bytes are accepted"),
        id="upload-just-over-the-limit",
    ),
    pytest.param(
        {"urls": "Ocean\n" + "a" * 100_000},
        line(2, "line is too long (100000 characters, at most 2048)"),
        id="100000-character-line",
    ),
    # Files that are not UTF-8 text, or hold control characters.
    pytest.param(
        {"file": Upload("pages.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")},
        Refused("File line 1: not UTF-8 text"),
        id="png-file",
    ),
    pytest.param(
        {"file": Upload("pages.txt", b"Ocean\n\x00\x9f\x92\x96\xff\xfe")},
        Refused("File line 2: not UTF-8 text"),
        id="random-bytes-with-nul",
    ),
    pytest.param(
        {"file": Upload("pages.txt", "Ocean\nIsland\nCafé\n".encode("latin-1"))},
        Refused("File line 3: not UTF-8 text"),
        id="latin-1-file",
    ),
    pytest.param(
        {"file": Upload("pages.txt", b"Ocean\nIsland\nSea\xed\xa0\x80water\n")},
        Refused("File line 3: line contains a character that is not valid text (U+D800)"),
        id="lone-surrogate-in-file",
    ),
    pytest.param(
        {"file": Upload("pages.csv", b"url\nOcean\nSea\x00water,x\n")},
        Refused("File line 3: line contains a control character"),
        id="csv-with-nul",
    ),
    pytest.param(
        {"file": Upload("pages.txt", b"Ocean\nSea\x00water\n")},
        Refused("File line 2: line contains a control character"),
        id="txt-with-nul",
    ),
    pytest.param(
        {"file": Upload("pages.html", SCRIPT.encode())},
        Refused("Upload a .txt or .csv file."),
        id="html-file",
    ),
    pytest.param(
        {"urls": "Ocean\nSea\x00water"},
        line(2, "line contains a control character"),
        id="nul-in-pasted-text",
    ),
    pytest.param(
        {"urls": "Ocean\x0cIsland\nShark"},
        line(1, "line contains a control character"),
        id="form-feed-is-not-a-line-break",
    ),
    # A protocol-relative URL takes the wiki's scheme, and must name an allowed host too.
    pytest.param(
        {"urls": "Ocean\n//evil.example/wiki/X"},
        line(2, f"host evil.example {NOT_ALLOWED}"),
        id="protocol-relative-to-another-host",
    ),
    # Hosts the server must never be sent to.
    pytest.param(
        {"urls": "Ocean\nhttp://127.0.0.1/"},
        line(2, f"host 127.0.0.1 {NOT_ALLOWED}"),
        id="loopback-ip",
    ),
    pytest.param(
        {"urls": "Ocean\nhttp://localhost/"},
        line(2, f"host localhost {NOT_ALLOWED}"),
        id="localhost",
    ),
    pytest.param(
        {"urls": "Ocean\nhttp://169.254.169.254/latest/meta-data/"},
        line(2, f"host 169.254.169.254 {NOT_ALLOWED}"),
        id="cloud-metadata-ip",
    ),
    pytest.param(
        {"urls": "Ocean\nhttp://[::1]/"}, line(2, f"host [::1] {NOT_ALLOWED}"), id="ipv6-loopback"
    ),
    pytest.param(
        {"urls": "Ocean\nhttp://2130706433/wiki/X"},
        line(2, f"host 2130706433 {NOT_ALLOWED}"),
        id="decimal-ip",
    ),
    pytest.param(
        {"urls": "Ocean\nhttp://0x7f000001/wiki/X"},
        line(2, f"host 0x7f000001 {NOT_ALLOWED}"),
        id="hex-ip",
    ),
    pytest.param(
        {"urls": "Ocean\nhttp://0177.0.0.1/wiki/X"},
        line(2, f"host 0177.0.0.1 {NOT_ALLOWED}"),
        id="octal-ip",
    ),
    pytest.param(
        {"urls": "Ocean\nhttps://en.wikipedia.org:8080/wiki/X"},
        line(2, f"host en.wikipedia.org:8080 {NOT_ALLOWED}"),
        id="allowed-host-other-port",
    ),
    # User-info and parser-confusion tricks.
    pytest.param(
        {"urls": "Ocean\nhttps://en.wikipedia.org@evil.example/"},
        line(2, "user names or passwords in URLs are not accepted"),
        id="userinfo-host",
    ),
    pytest.param(
        {"urls": "Ocean\nhttps://en.wikipedia.org:443@evil.example/wiki/X"},
        line(2, "user names or passwords in URLs are not accepted"),
        id="userinfo-host-and-port",
    ),
    pytest.param(
        {"urls": "Ocean\nhttps://evil.example#@en.wikipedia.org/wiki/X"},
        line(2, f"host evil.example {NOT_ALLOWED}"),
        id="fragment-before-userinfo",
    ),
    pytest.param(
        {"urls": "Ocean\nhttps://evil.example\\.en.wikipedia.org/wiki/X"},
        line(2, "backslashes are not accepted in the host part"),
        id="backslash-in-host",
    ),
    # Look-alike hosts.
    pytest.param(
        {"urls": "Ocean\nhttps://en.wikipedia.org.evil.example/wiki/X"},
        line(2, f"host en.wikipedia.org.evil.example {NOT_ALLOWED}"),
        id="allowed-host-as-prefix",
    ),
    pytest.param(
        {"urls": "Ocean\nhttps://wikipedia.org.example/wiki/X"},
        line(2, f"host wikipedia.org.example {NOT_ALLOWED}"),
        id="look-alike-domain",
    ),
    pytest.param(
        {"urls": "Ocean\nhttps://en.wikiped\u0456a.org/wiki/X"},
        line(2, "host en.wikiped\u0456a.org is not a valid host name"),
        id="cyrillic-look-alike",
    ),
    # Not a page.
    pytest.param(
        {"urls": "Ocean\nhttps://en.wikipedia.org/"},
        line(2, "not a page URL: the path must start with /wiki/ (got /)"),
        id="wiki-host-without-article-path",
    ),
    pytest.param(
        {"urls": "Ocean\nhttps://en.wikipedia.org/w/index.php?action=raw"},
        line(2, "not a page URL: /w/index.php needs a title= parameter"),
        id="index-php-without-title",
    ),
    # The chosen wiki.
    pytest.param(
        {"urls": "Ocean", "wiki": "https://en.wikipedia.org/w/"},
        Refused("the wiki must be given as its article path"),
        id="wiki-without-article-path",
    ),
    pytest.param(
        {"urls": "Ocean", "wiki": "https://evil.example/wiki/"},
        Refused(f"host evil.example {NOT_ALLOWED}"),
        id="wiki-on-another-host",
    ),
    pytest.param(
        {"urls": "Ocean", "wiki": "javascript:alert(1)//"},
        Refused(ONLY_WEB),
        id="wiki-javascript",
    ),
    pytest.param(
        {"urls": "Ocean\nhttps://en.wikipedia.org/wiki/Ocean%0D%0AHost:evil.example"},
        line(2, "title contains a control character"),
        id="encoded-crlf",
    ),
    # HTML and JavaScript payloads.
    pytest.param(
        {"urls": f"Ocean\nhttps://en.wikipedia.org/{SCRIPT}"},
        line(2, f"not a page URL: the path must start with /wiki/ (got /{SCRIPT})"),
        id="script-in-echoed-path",
    ),
    pytest.param(
        {"urls": f"Ocean\nhttps://{ATTRIBUTE_BREAKOUT}/wiki/X"},
        line(2, 'host "><img src=x onerror=alert(1)> is not a valid host name'),
        id="attribute-breakout-in-echoed-host",
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("fields", "expected"), [*ACCEPTED, *REFUSED])
def test_hostile_submission_is_normalized_or_refused_naming_the_line(user_client, fields, expected):
    data = {"urls": "", "wiki": WIKI, **fields}
    if "file" in data:
        data["file"] = data["file"].file()

    response = user_client.post(reverse("home"), data)

    expected.assert_matches(response)


def test_hostile_input_table_keeps_at_least_40_cases():
    assert len(ACCEPTED) + len(REFUSED) >= 40


# --- Oversized bodies ----------------------------------------------------------------------------


def _multipart_parse_forbidden(*args, **kwargs):
    raise AssertionError("the oversized body was parsed")


@pytest.mark.django_db
def test_oversized_upload_is_refused_before_its_body_is_parsed(user_client, monkeypatch):
    monkeypatch.setattr(MultiPartParser, "parse", _multipart_parse_forbidden)
    upload = Upload("pages.txt", b"Ocean\n", repeat=20 * MEGABYTE // 6).file()

    response = user_client.post(reverse("home"), {"urls": "", "wiki": WIKI, "file": upload})

    assert response.status_code == 413
    assert "so it was not read" in response.context["request_error"]
    assert Batch.objects.count() == 0 and Result.objects.count() == 0


@pytest.mark.django_db
def test_oversized_upload_is_not_parsed_even_with_csrf_checks(user, monkeypatch):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    token = browser.get(reverse("home")).context["csrf_token"]
    monkeypatch.setattr(MultiPartParser, "parse", _multipart_parse_forbidden)
    upload = Upload("pages.txt", b"Ocean\n", repeat=20 * MEGABYTE // 6).file()

    response = browser.post(
        reverse("home"),
        {"csrfmiddlewaretoken": token, "urls": "", "wiki": WIKI, "file": upload},
    )

    assert response.status_code == 413


# --- Escaping everywhere ------------------------------------------------------------------------


@pytest.fixture
def hostile_batch(admin_user):
    """A batch stored without the form, as a hostile admin or a future API might store one."""
    batch = Batch.objects.create(
        owner=admin_user, wiki=f"{WIKI}{SCRIPT}", total=1, done=1, error_count=1
    )
    Result.objects.create(
        batch=batch,
        position=0,
        url=f"{WIKI}{SCRIPT}{ATTRIBUTE_BREAKOUT}",
        title=f"{SCRIPT}{ATTRIBUTE_BREAKOUT}",
        status=Result.Status.ERROR,
        error=f"ConnectionError: {SCRIPT}{ATTRIBUTE_BREAKOUT}",
        completion_order=1,
    )
    return batch


PAGES_SHOWING_STORED_TEXT = [
    pytest.param(lambda batch: batch.get_absolute_url(), id="batch-page"),
    pytest.param(lambda batch: reverse("batch_progress", args=[batch.pk]), id="progress-fragment"),
    pytest.param(
        lambda batch: reverse("admin:checks_batch_changelist") + f"?q={SCRIPT}",
        id="admin-batch-changelist-search",
    ),
    pytest.param(
        lambda batch: reverse("admin:checks_batch_change", args=[batch.pk]),
        id="admin-batch-change",
    ),
    pytest.param(lambda batch: reverse("admin:checks_result_changelist"), id="admin-result-list"),
    pytest.param(
        lambda batch: reverse("admin:checks_result_change", args=[batch.results.get().pk]),
        id="admin-result-change",
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize("url_of", PAGES_SHOWING_STORED_TEXT)
def test_stored_payloads_render_escaped(admin_client, hostile_batch, url_of):
    response = admin_client.get(url_of(hostile_batch))

    content = response.content.decode()
    assert response.status_code == 200
    assert escape(SCRIPT) in content
    assert SCRIPT not in content
    assert "<img src=x" not in content


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["home", "batch_list"])
def test_stored_payloads_never_reach_the_lists_raw(admin_client, hostile_batch, name):
    response = admin_client.get(reverse(name))

    content = response.content.decode()
    assert response.status_code == 200
    assert SCRIPT not in content
    assert "<img src=x" not in content


@pytest.mark.django_db
def test_stored_attribute_breakout_stays_inside_the_link(admin_client, hostile_batch):
    response = admin_client.get(hostile_batch.get_absolute_url())

    assert escape(f"{WIKI}{SCRIPT}{ATTRIBUTE_BREAKOUT}") in response.content.decode()


@pytest.mark.django_db
def test_stored_javascript_url_is_never_a_link(admin_client, hostile_batch):
    hostile_batch.results.update(url="javascript:alert(1)")

    response = admin_client.get(hostile_batch.get_absolute_url())

    assert 'href="javascript:' not in response.content.decode()


@pytest.mark.django_db
def test_refused_script_line_is_shown_escaped(user_client):
    response = user_client.post(
        reverse("home"), {"urls": f"Ocean\nhttps://en.wikipedia.org/{SCRIPT}", "wiki": WIKI}
    )

    content = response.content.decode()
    assert escape(f"(got /{SCRIPT})") in content
    assert SCRIPT not in content


@pytest.mark.django_db
def test_attribute_payload_title_is_accepted_and_rendered_escaped(user_client):
    response = user_client.post(reverse("home"), {"urls": '"onmouseover=alert(1)', "wiki": WIKI})
    # What a worker would store; the workers are asleep in this module.
    Result.objects.update(status=Result.Status.EXISTS, http_status=200, completion_order=1)
    Batch.objects.update(done=1, exists_count=1)

    content = user_client.get(response.url).content.decode()

    assert "&quot;onmouseover=alert(1)</a>" in content
    assert f'href="{WIKI}%22onmouseover%3Dalert(1)"' in content
    assert '"onmouseover' not in content
