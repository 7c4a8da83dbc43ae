"""The progress poll stays cheap however many poll, and never costs a client the end of a batch."""

import re
import threading
import time
from html import unescape
from urllib.parse import parse_qsl, urlencode

import pytest
import requests
from django.core.cache import cache
from django.db import connection
from django.db.models import F
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from checks.batches import batch_cancel
from checks.engine.workqueue import results_insert
from checks.models import Batch
from checks.web import polling, views
from tests.support import wait_until
from tests.support.batches import batch_of

INTERVAL = 1.0
# The real clock, for tests that move the patched one on.
REAL_TIME = time.time


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """Each test starts with no fragment kept, at the default interval."""
    settings.WIKICHECK_POLL_SECONDS = INTERVAL
    cache.clear()
    yield
    cache.clear()


def batch_running(user, *, total: int = 6, done: int = 2) -> Batch:
    """A running batch made through the ORM, its first `done` results stored."""
    batch = Batch.objects.create(owner=user, wiki="https://en.wikipedia.org/wiki/", total=total)
    results_insert(
        batch_id=batch.pk,
        rows=((f"https://en.wikipedia.org/wiki/T{n}", f"T{n}", "") for n in range(total)),
    )
    results_store(batch, count=done)
    return batch


def results_store(batch: Batch, *, count: int) -> None:
    """Store the next `count` results as the feeder does: completion order and counters."""
    pending = batch.results.filter(status="pending").order_by("position")[:count]
    for result in pending:
        Batch.objects.filter(pk=batch.pk).update(
            done=F("done") + 1, exists_count=F("exists_count") + 1
        )
        batch.refresh_from_db()
        result.status, result.completion_order = "exists", batch.done
        result.save(update_fields=["status", "completion_order"])
    if batch.done == batch.total:
        Batch.objects.filter(pk=batch.pk).update(status="finished", finished_at=timezone.now())


def batch_finished(user, *, total: int = 4) -> Batch:
    batch = batch_running(user, total=total, done=total)
    batch.refresh_from_db()
    return batch


def progress_url(batch: Batch) -> str:
    return reverse("batch_progress", args=[batch.pk]) + "?page=1&after=0"


def poll(client: Client, url: str):
    return client.get(url, headers={"HX-Request": "true"})


def next_poll_url(response) -> str:
    """The URL htmx polls next: the hx-get of the section the answer swapped in."""
    return unescape(re.search(r'hx-get="([^"]+)"', response.content.decode()).group(1))


def unstamped(url: str) -> str:
    """The same poll from a browser that has no stamp (another tab of the batch's owner)."""
    path, _, query = url.partition("?")
    return f"{path}?{urlencode([(k, v) for k, v in parse_qsl(query) if k != polling.STAMP])}"


def shown_orders(response) -> list[int]:
    return [
        int(order)
        for order in re.findall(r"<tr data-completed=\"(\d+)\">", response.content.decode())
    ]


def our_queries(queries: CaptureQueriesContext) -> list[str]:
    """The queries that read batches or results (not the session's and the user's)."""
    return [query["sql"] for query in queries.captured_queries if '"checks_' in query["sql"]]


def clock_advance(monkeypatch, seconds: float) -> None:
    """Move the wall clock on: stamps age and the cache's entries expire as they would."""
    now = REAL_TIME()
    monkeypatch.setattr(time, "time", lambda: now + seconds)


def second_browser(user) -> Client:
    """Another browser of the same user: its own session and CSRF cookie."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


# --- A poll sooner than the interval -------------------------------------------------------------


@pytest.mark.django_db
def test_a_poll_sooner_than_the_interval_gets_204_without_any_query(user_client, user):
    batch = batch_running(user)
    url = next_poll_url(poll(user_client, progress_url(batch)))

    with CaptureQueriesContext(connection) as queries:
        again = poll(user_client, url)

    assert again.status_code == 204
    assert again.content == b""
    assert queries.captured_queries == []


@pytest.mark.django_db
def test_the_batch_page_stamps_its_polling_url_so_an_early_first_poll_gets_204(user_client, user):
    batch = batch_running(user)
    url = next_poll_url(user_client.get(batch.get_absolute_url()))

    again = poll(user_client, url)

    assert again.status_code == 204


@pytest.mark.django_db
def test_a_poll_after_the_interval_gets_the_results_stored_meanwhile(
    user_client, user, monkeypatch
):
    batch = batch_running(user, done=2)
    url = next_poll_url(poll(user_client, progress_url(batch)))
    results_store(batch, count=2)
    clock_advance(monkeypatch, INTERVAL)

    fresh = poll(user_client, url)

    assert fresh.status_code == 200
    assert shown_orders(fresh) == [3, 4]
    assert "<strong>4 of 6</strong>" in fresh.content.decode()


@pytest.mark.django_db
def test_another_users_stamp_gets_404_not_204(user_client, user, other_user):
    batch = batch_running(user)
    url = next_poll_url(poll(user_client, progress_url(batch)))
    intruder = Client()
    intruder.force_login(other_user)

    response = poll(intruder, url)

    assert response.status_code == 404


# --- One render per listing and interval ---------------------------------------------------------


@pytest.mark.django_db
def test_a_second_poller_of_the_same_listing_gets_the_fragment_without_a_query(user_client, user):
    batch = batch_running(user)
    first = poll(user_client, progress_url(batch))
    other_tab = second_browser(user)

    with CaptureQueriesContext(connection) as queries:
        shared = poll(other_tab, progress_url(batch))

    assert shared.status_code == 200
    assert shown_orders(shared) == shown_orders(first) == [1, 2]
    assert our_queries(queries) == []


@pytest.mark.django_db
def test_a_poller_whose_login_was_checked_lately_gets_the_shared_fragment_without_any_query(
    user_client, user, monkeypatch
):
    batch = batch_running(user, done=2)
    url = next_poll_url(poll(user_client, progress_url(batch)))
    results_store(batch, count=1)
    clock_advance(monkeypatch, INTERVAL)
    rendered = poll(second_browser(user), unstamped(url))

    with CaptureQueriesContext(connection) as queries:
        shared = poll(user_client, url)

    assert queries.captured_queries == []
    assert shared.status_code == 200
    assert shown_orders(shared) == shown_orders(rendered) == [3]
    assert "private" in shared.headers["Cache-Control"]


@pytest.mark.django_db
def test_a_session_cookie_kept_past_logout_is_sent_to_login_once_its_check_is_due(
    user_client, user, monkeypatch
):
    batch = batch_running(user)
    url = next_poll_url(poll(user_client, progress_url(batch)))
    kept = user_client.cookies["sessionid"].value
    user_client.post(reverse("logout"))
    user_client.cookies["sessionid"] = kept
    clock_advance(monkeypatch, polling.LOGIN_CHECK_SECONDS)
    poll(second_browser(user), unstamped(url))

    response = poll(user_client, url)

    assert response.headers["HX-Redirect"].startswith(reverse("login"))
    assert shown_orders(response) == []


@pytest.mark.django_db
def test_a_shared_fragment_carries_each_browsers_own_csrf_token(user_client, user):
    # A settled batch's last fragment brings its actions, forms included.
    batch = batch_of(user, statuses=["exists", "error"], status=Batch.Status.FINISHED)
    poll(user_client, progress_url(batch))
    other_tab = second_browser(user)
    shared = poll(other_tab, progress_url(batch)).content.decode()
    retry = reverse("batch_retry", args=[batch.pk])
    token = re.search(
        rf'action="{retry}">\s*<input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)"',
        shared,
    ).group(1)

    response = other_tab.post(retry, {"csrfmiddlewaretoken": token})

    assert response.status_code == 302
    assert batch.children.count() == 1


@pytest.mark.django_db
def test_a_cached_fragment_is_never_served_to_another_user(user_client, user, other_user):
    batch = batch_running(user)
    poll(user_client, progress_url(batch))
    intruder = Client()
    intruder.force_login(other_user)

    response = poll(intruder, progress_url(batch))

    assert response.status_code == 404


# --- A settled batch -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_finished_batchs_fragment_is_served_from_the_cache_while_it_is_unchanged(
    user_client, user
):
    batch = batch_finished(user)
    first = poll(user_client, progress_url(batch))

    with CaptureQueriesContext(connection) as queries:
        again = poll(user_client, progress_url(batch))

    assert first.status_code == again.status_code == 286
    assert shown_orders(again) == [1, 2, 3, 4]
    assert again.templates == []
    assert not [sql for sql in our_queries(queries) if '"checks_result"' in sql]


@pytest.mark.django_db
def test_a_rerun_leaves_the_old_batchs_cached_fragment_in_place(user_client, user):
    batch = batch_finished(user)
    poll(user_client, progress_url(batch))
    user_client.post(reverse("batch_rerun", args=[batch.pk]))

    again = poll(user_client, progress_url(batch))

    assert again.status_code == 286
    assert again.templates == []


@pytest.mark.django_db
def test_deleting_a_finished_batch_ends_its_cached_fragment(user_client, user):
    batch = batch_finished(user)
    poll(user_client, progress_url(batch))
    user_client.post(reverse("batch_delete", args=[batch.pk]))

    again = poll(user_client, progress_url(batch))

    assert again.status_code == 404


@pytest.mark.django_db
def test_a_cancel_reaches_the_next_poll_after_the_interval_and_stops_it(
    user_client, user, monkeypatch
):
    batch = batch_running(user)
    url = next_poll_url(poll(user_client, progress_url(batch)))
    batch_cancel(batch=batch)
    clock_advance(monkeypatch, INTERVAL)

    after = poll(user_client, url)

    assert after.status_code == 286
    assert "Cancelled" in after.content.decode()
    assert "hx-trigger" not in after.content.decode()


# --- The end of a batch is never missed ----------------------------------------------------------


@pytest.mark.django_db
def test_a_client_polling_twice_an_interval_gets_every_row_once_and_the_final_286(
    user_client, user, monkeypatch
):
    batch = batch_running(user, total=12, done=0)
    url, statuses, orders = progress_url(batch), [], []
    for step in range(60):
        if step % 3 == 0:
            results_store(batch, count=1)
        clock_advance(monkeypatch, step * INTERVAL / 2)
        response = poll(user_client, url)
        statuses.append(response.status_code)
        orders += shown_orders(response)
        if response.status_code == 286:
            break
        if response.status_code == 200:
            url = next_poll_url(response)

    assert statuses[-1] == 286
    assert 204 in statuses
    assert orders == list(range(1, 13))


# --- Many pollers against a live server ----------------------------------------------------------

POLLERS = 50


def htmx_poller(session: requests.Session, url: str, base: str, seen: dict, stop) -> None:
    """Poll like htmx: every interval, the URL of the last fragment, until 286; record the
    answers and the completion orders of the rows appended."""
    while not stop.is_set():
        response = session.get(url, headers={"HX-Request": "true"}, timeout=30)
        seen["statuses"].append(response.status_code)
        if response.status_code in (200, 286):
            seen["orders"] += [
                int(n) for n in re.findall(r"<tr data-completed=\"(\d+)\">", response.text)
            ]
        if response.status_code == 286:
            return
        if response.status_code == 200:
            url = base + unescape(re.search(r'hx-get="([^"]+)"', response.text).group(1))
        stop.wait(INTERVAL)


@pytest.mark.system
@pytest.mark.django_db(transaction=True)
def test_fifty_pollers_mostly_get_cheap_answers_and_each_sees_the_batch_end(
    live_server, user, user_client, fake_wiki, monkeypatch
):
    fake_wiki.latency_ms = 200
    renders = []
    render = views._progress_render

    def counted_render(request, batch):
        renders.append(batch.done)
        return render(request, batch)

    monkeypatch.setattr(views, "_progress_render", counted_render)
    titles = "\n".join(f"Page {n}" for n in range(300))
    response = user_client.post(reverse("home"), {"urls": titles, "wiki": fake_wiki.wiki_url})
    batch = Batch.objects.get(pk=response.url.rstrip("/").split("/")[-1])
    sessions, pollers, stop = [], [], threading.Event()
    for _ in range(POLLERS):
        client = Client()
        client.force_login(user)
        session = requests.Session()
        session.cookies.set("sessionid", client.cookies["sessionid"].value)
        seen = {"statuses": [], "orders": []}
        sessions.append(seen)
        pollers.append(
            threading.Thread(
                target=htmx_poller,
                args=(session, live_server.url + progress_url(batch), live_server.url, seen, stop),
            )
        )

    for poller in pollers:
        poller.start()
    try:
        wait_until(lambda: all(not poller.is_alive() for poller in pollers), timeout=120)
    finally:
        stop.set()

    batch.refresh_from_db()
    polls = sum(len(seen["statuses"]) for seen in sessions)
    assert batch.status == Batch.Status.FINISHED
    assert batch.results.filter(completion_order__isnull=False).count() == 300
    assert all(seen["statuses"][-1] == 286 for seen in sessions)
    assert all(seen["orders"] == list(range(1, 101)) for seen in sessions)
    # Counted, not timed: each render served the listing's other pollers until the interval.
    assert len(renders) < polls / 4, (len(renders), polls)
