"""Remote faults are recorded per row with a clear reason, and never stop a batch."""

import pytest
from django.contrib.auth import get_user_model

from checks.batches import batch_create
from checks.intake.parsing import Entry
from checks.models import Batch
from fakewiki.unreachable import BlackHole, free_port
from tests.support import wait_until

# title on the fake wiki -> (status, HTTP status, start of the recorded reason)
FAULTS = {
    "Fault:500": ("unknown", 500, "HTTP 500 Internal Server Error"),
    "Fault:502": ("unknown", 502, "HTTP 502 Bad Gateway after 3 attempts"),
    "Fault:503": ("unknown", 503, "HTTP 503 Service Unavailable after 3 attempts"),
    "Fault:429": ("unknown", 429, "HTTP 429 Too Many Requests after 3 attempts"),
    "Fault:429-then-200": ("exists", 200, ""),
    "Fault:503-then-200": ("exists", 200, ""),
    "Fault:redirect-to-Ocean": ("exists", 200, ""),
    "Fault:redirect-loop": ("error", None, "TooManyRedirects: more than 10 redirects"),
    "Fault:redirect-away": ("error", None, "RedirectBlocked: redirect to evil.example"),
    "Fault:redirect-malformed": (
        "error",
        None,
        "RedirectBlocked: the redirect target 'http://h:1:2/wiki/Ocean' is not a valid URL",
    ),
    "Fault:slow-headers": ("error", None, "ReadTimeout: no answer within 1.0 s"),
    "Fault:reset": ("error", None, "ConnectionReset: the connection was reset"),
    "Fault:close": ("error", None, "RemoteDisconnected: the server closed the connection"),
    "Fault:trickle": ("exists", 200, ""),
    "Fault:huge-headers": ("error", None, "BadResponse: "),
    "Fault:many-headers": ("error", None, "BadResponse: "),
    "Fault:bad-status": ("error", None, "BadResponse: malformed status line"),
}


@pytest.fixture
def owner(db):
    return get_user_model().objects.create_user(username="faults-owner")


def finished(batch: Batch) -> bool:
    batch.refresh_from_db()
    return batch.status == Batch.Status.FINISHED


@pytest.mark.django_db(transaction=True)
def test_every_fault_is_classified_on_its_row_and_the_batch_finishes(owner, fake_wiki, settings):
    refused_port = free_port()
    with BlackHole() as black_hole:
        settings.WIKICHECK_ALLOWED_HOSTS = [
            f"127.0.0.1:{fake_wiki.port}",
            f"127.0.0.1:{black_hole.port}",
            f"127.0.0.1:{refused_port}",
            "nonexistent.invalid",
        ]
        unreachable = {
            f"{black_hole.url}/wiki/Ocean": ("error", None, "ConnectTimeout: no connection"),
            f"http://127.0.0.1:{refused_port}/wiki/Ocean": (
                "error",
                None,
                "ConnectionRefused: the server refused the connection",
            ),
            "http://nonexistent.invalid/wiki/Ocean": (
                "error",
                None,
                "NameResolutionError: Failed to resolve 'nonexistent.invalid'",
            ),
        }
        expected = {fake_wiki.wiki_url + title: want for title, want in FAULTS.items()}
        expected |= unreachable
        entries = [Entry(url=url, title=url.rsplit("/", 1)[-1]) for url in expected]

        batch = batch_create(owner=owner, entries=entries, wiki=fake_wiki.wiki_url, timeout=1.0)
        wait_until(lambda: finished(batch), timeout=90)

    recorded = {
        result.url: (result.status, result.http_status, result.error)
        for result in batch.results.all()
    }
    mismatches = {
        url: recorded[url]
        for url, (status, http_status, reason) in expected.items()
        if recorded[url][:2] != (status, http_status) or not recorded[url][2].startswith(reason)
    }
    assert mismatches == {}
    assert batch.done == len(expected)


@pytest.mark.django_db(transaction=True)
def test_retry_after_is_honoured_before_asking_again(owner, fake_wiki):
    fake_wiki.retry_after_seconds = 1
    entries = [Entry(url=fake_wiki.wiki_url + "Fault:429-then-200", title="Fault:429-then-200")]

    batch = batch_create(owner=owner, entries=entries, wiki=fake_wiki.wiki_url)
    wait_until(lambda: finished(batch), timeout=30)

    result = batch.results.get()
    assert (result.status, result.http_status) == ("exists", 200)
    assert fake_wiki.requests_by_title["Fault:429-then-200"] == 2
    assert result.elapsed_ms >= 1000


@pytest.mark.django_db(transaction=True)
def test_a_huge_retry_after_is_capped_and_the_final_answer_recorded(owner, fake_wiki, settings):
    settings.WIKICHECK_RETRY_AFTER_MAX = 1
    settings.WIKICHECK_RETRIES = 1
    fake_wiki.retry_after_seconds = 3600
    entries = [Entry(url=fake_wiki.wiki_url + "Fault:429", title="Fault:429")]

    batch = batch_create(owner=owner, entries=entries, wiki=fake_wiki.wiki_url)
    wait_until(lambda: finished(batch), timeout=30)

    result = batch.results.get()
    assert (result.status, result.http_status) == ("unknown", 429)
    assert result.error == "HTTP 429 Too Many Requests after 2 attempts"
    assert 1000 <= result.elapsed_ms < 10_000


@pytest.mark.django_db(transaction=True)
def test_a_trickling_body_is_never_waited_for(owner, fake_wiki):
    entries = [Entry(url=fake_wiki.wiki_url + "Fault:trickle", title="Fault:trickle")]

    batch = batch_create(owner=owner, entries=entries, wiki=fake_wiki.wiki_url, timeout=5)
    wait_until(lambda: finished(batch), timeout=30)

    result = batch.results.get()
    assert (result.status, result.http_status) == ("exists", 200)
    assert result.elapsed_ms < 2000
    assert fake_wiki.requests_by_method["GET"] == 1


@pytest.mark.parametrize("mode", [Batch.Mode.PAGE, Batch.Mode.API])
@pytest.mark.django_db(transaction=True)
def test_a_malformed_redirect_is_recorded_without_a_traceback(
    owner, fake_wiki, settings, caplog, mode
):
    # In API mode the API endpoint itself answers with the malformed redirect.
    settings.WIKICHECK_API_PATHS = [
        (f"127.0.0.1:{fake_wiki.port}", "/wiki/Fault:redirect-malformed")
    ]
    url = fake_wiki.wiki_url + ("Ocean" if mode == Batch.Mode.API else "Fault:redirect-malformed")
    entries = [Entry(url=url, title=url.rsplit("/", 1)[-1])]

    batch = batch_create(owner=owner, entries=entries, wiki=fake_wiki.wiki_url, mode=mode)
    wait_until(lambda: finished(batch), timeout=30)

    result = batch.results.get()
    assert (result.status, result.error) == (
        "error",
        "RedirectBlocked: the redirect target 'http://h:1:2/wiki/Ocean' is not a valid URL",
    )
    assert "Traceback" not in caplog.text
    assert fake_wiki.requests_by_title["Fault:redirect-malformed"] == 1


@pytest.mark.django_db(transaction=True)
def test_a_fault_title_in_api_mode_fails_its_whole_request_and_the_batch_finishes(
    owner, fake_wiki, settings
):
    # The API is asked about the three titles in one request, which the fault title fails.
    settings.WIKICHECK_API_PATHS = [(f"127.0.0.1:{fake_wiki.port}", "/w/api.php")]
    titles = ["Ocean", "Fault:500", "Island"]
    entries = [Entry(url=fake_wiki.wiki_url + title, title=title) for title in titles]

    batch = batch_create(owner=owner, entries=entries, wiki=fake_wiki.wiki_url, mode=Batch.Mode.API)
    wait_until(lambda: finished(batch), timeout=30)

    recorded = {
        result.title: (result.status, result.http_status, result.error)
        for result in batch.results.all()
    }
    failed = ("unknown", 500, "HTTP 500 Internal Server Error from the API")
    assert recorded == dict.fromkeys(titles, failed)
    assert fake_wiki.api_requests == 1
