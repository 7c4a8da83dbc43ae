import pytest
from django.contrib.auth import get_user_model

from checks.batches import batch_create
from checks.intake.parsing import Entry
from checks.models import Batch
from checks.probe.politeness import host_limit
from fakewiki.server import FakeWiki
from tests.support import wait_until


@pytest.fixture
def quiet_wiki(settings):
    """A wiki of its own: requests other tests left in flight must not count towards the peak."""
    with FakeWiki() as wiki:
        settings.WIKICHECK_ALLOWED_HOSTS = [f"127.0.0.1:{wiki.port}"]
        yield wiki


@pytest.fixture
def owner(db):
    return get_user_model().objects.create_user(username="polite-owner")


def check_pages(owner, fake_wiki, count: int) -> None:
    entries = [Entry(url=f"{fake_wiki.wiki_url}Page_{n}", title=f"Page {n}") for n in range(count)]
    batch = batch_create(owner=owner, entries=entries, wiki=fake_wiki.wiki_url, mode="page")
    wait_until(lambda: Batch.objects.filter(pk=batch.pk, status="finished").exists(), timeout=60)


@pytest.mark.django_db(transaction=True)
def test_workers_never_exceed_the_per_host_cap(owner, quiet_wiki, settings):
    settings.WIKICHECK_HOST_CONCURRENCY = [(f"127.0.0.1:{quiet_wiki.port}", 3)]
    quiet_wiki.latency_ms = 50

    check_pages(owner, quiet_wiki, 40)

    assert settings.WIKICHECK_MAX_WORKERS > 3
    assert quiet_wiki.peak_concurrency == 3


@pytest.mark.django_db(transaction=True)
def test_without_a_cap_all_workers_send_at_once(owner, quiet_wiki, settings):
    settings.WIKICHECK_HOST_CONCURRENCY = []
    quiet_wiki.latency_ms = 100

    check_pages(owner, quiet_wiki, 40)

    assert quiet_wiki.peak_concurrency > 3


@pytest.mark.parametrize(
    ("url", "limit"),
    [
        ("https://en.wikipedia.org/w/api.php", 3),
        ("https://en.m.wikipedia.org/wiki/Ocean", 3),
        ("http://127.0.0.1:8001/wiki/Ocean", 7),
        ("http://127.0.0.1:8002/wiki/Ocean", 0),
        ("https://wiki.example.org/wiki/Ocean", 0),
    ],
)
def test_the_first_matching_host_pattern_sets_the_cap(url, limit):
    limits = [("*.wikipedia.org", 3), ("127.0.0.1:8001", 7)]

    assert host_limit(url=url, limits=limits) == limit
