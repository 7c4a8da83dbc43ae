import re
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.messages import get_messages
from django.db.models import F
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from checks.engine.backends.base import Backend
from checks.engine.backends.threads import ThreadsBackend
from checks.engine.workqueue import results_insert
from checks.models import Batch, Result
from fakewiki.titles import CHARACTERS_REASON, EMPTY_REASON
from tests.support import wait_until
from tests.support.batches import batch_of

SEED_PAGES = "Ocean\nIsland\nthis_page_does_not_exist\nShark\n"


def submit(client, urls: str, **fields) -> Batch:
    response = client.post(reverse("home"), {"urls": urls, **fields})
    assert response.status_code == 302, response.content.decode()[:2000]
    return Batch.objects.get(pk=response.url.rstrip("/").split("/")[-1])


def poll_until_finished(client, batch: Batch, *, timeout: float = 30):
    """Poll the progress fragment like htmx does, following the cursor, until it says stop."""
    state = {"cursor": 0, "rows": []}

    def finished():
        url = reverse("batch_progress", args=[batch.pk]) + f"?after={state['cursor']}"
        response = client.get(url, headers={"HX-Request": "true"})
        assert response.status_code in (200, 286)
        rows = list(
            batch.results.filter(completion_order__gt=state["cursor"]).order_by("completion_order")
        )
        state["rows"] += rows
        if rows:
            state["cursor"] = rows[-1].completion_order
        return response if response.status_code == 286 else None

    return wait_until(finished, timeout=timeout)


# --- Access ------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["home", "batch_list"])
def test_pages_redirect_anonymous_users_to_login(client, name):
    response = client.get(reverse(name))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["batch_detail", "batch_progress"])
def test_batch_pages_redirect_anonymous_users_to_login(client, user, name):
    batch = Batch.objects.create(owner=user, wiki="https://en.wikipedia.org/wiki/", total=0)

    response = client.get(reverse(name, args=[batch.pk]))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.django_db
def test_login_page_is_open_to_anonymous_users(client):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    assert b'name="password"' in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["batch_detail", "batch_progress"])
def test_another_users_batch_is_not_found(client, user, other_user, name):
    batch = Batch.objects.create(owner=other_user, wiki="https://en.wikipedia.org/wiki/", total=0)
    client.force_login(user)

    response = client.get(reverse(name, args=[batch.pk]))

    assert response.status_code == 404


# --- Submitting ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_invalid_submission_names_the_line_and_stores_nothing(user_client, fake_wiki):
    response = user_client.post(
        reverse("home"),
        {"urls": "Ocean\nhttps://evil.example/wiki/X\n", "wiki": fake_wiki.wiki_url},
    )

    assert response.status_code == 200
    assert "Line 2" in response.content.decode()
    assert Batch.objects.count() == 0
    assert Result.objects.count() == 0


@pytest.mark.django_db
def test_empty_submission_asks_for_pages(user_client, fake_wiki):
    response = user_client.post(reverse("home"), {"urls": "  \n\n", "wiki": fake_wiki.wiki_url})

    assert "Enter at least one page" in response.content.decode()
    assert Batch.objects.count() == 0


@pytest.mark.django_db
def test_a_post_without_any_field_says_what_is_missing(user_client):
    response = user_client.post(reverse("home"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "The batch was not stored" in page
    assert "Enter at least one page URL or title, or upload a file." in page
    assert "Enter the wiki that bare titles are looked up on" in page
    assert Batch.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_duplicates_are_merged_and_counted_on_the_batch_page(user_client, fake_wiki):
    batch = submit(
        user_client,
        "Sea water\nSea_water\nOcean\nOcean\n",
        wiki=fake_wiki.wiki_url,
    )

    response = user_client.get(batch.get_absolute_url())

    assert batch.total == 2
    assert batch.duplicates == 2
    assert list(batch.results.order_by("position").values_list("title", flat=True)) == [
        "Sea water",
        "Ocean",
    ]
    assert "2 duplicate entries merged" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_uploaded_file_is_checked_like_pasted_lines(user_client, fake_wiki):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("pages.txt", b"Ocean\nMissing page\n", content_type="text/plain")

    response = user_client.post(
        reverse("home"), {"urls": "", "file": upload, "wiki": fake_wiki.wiki_url}
    )

    batch = Batch.objects.get()
    assert response.status_code == 302
    assert [r.title for r in batch.results.order_by("position")] == ["Ocean", "Missing page"]


@pytest.mark.django_db
def test_forbidden_titles_become_invalid_rows_and_the_batch_page_says_how_many(
    user_client, fake_wiki
):
    fields = {"urls": "Foo[bar\n~~~~\nTalk:\n", "mode": "page", "wiki": fake_wiki.wiki_url}

    response = user_client.post(reverse("home"), fields, follow=True)

    batch = Batch.objects.get()
    page = response.content.decode()
    assert "3 lines are not valid titles; they are listed as invalid titles in the batch." in page
    assert "The requested page title contains invalid characters: &quot;[&quot;." in page
    assert "The requested page title contains invalid magic tilde sequence (~~~)." in page
    assert (batch.status, batch.invalid_count, batch.total) == ("finished", 3, 3)


@pytest.mark.django_db
def test_valid_titles_get_no_message(user_client, fake_wiki, monkeypatch):
    monkeypatch.setattr(ThreadsBackend, "work_submitted", Backend.work_submitted)

    fields = {"urls": "file:foo.png\nAbout: Schmidt\n", "wiki": fake_wiki.wiki_url}

    response = user_client.post(reverse("home"), fields)

    assert response.status_code == 302
    assert list(get_messages(response.wsgi_request)) == []


@pytest.mark.django_db
def test_strict_titles_refuse_the_submission_naming_the_line(user_client, fake_wiki, settings):
    settings.WIKICHECK_STRICT_TITLES = True
    fields = {"urls": "Ocean\nFoo[bar\n", "wiki": fake_wiki.wiki_url}

    response = user_client.post(reverse("home"), fields)

    assert response.status_code == 200
    assert (
        "Line 2: The requested page title contains invalid characters: &quot;[&quot;."
        in response.content.decode()
    )
    assert Batch.objects.count() == 0 and Result.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_api_mode_asks_the_api_about_forbidden_titles_in_the_same_requests(
    user_client, fake_wiki, settings
):
    settings.WIKICHECK_API_PATHS = [(f"127.0.0.1:{fake_wiki.port}", "/w/api.php")]
    lines = [f"Page {n}" for n in range(57)] + ["Foo[bar", "Talk:", "<x>"]

    batch = submit(user_client, "\n".join(lines), wiki=fake_wiki.wiki_url, mode="api")
    poll_until_finished(user_client, batch)

    batch.refresh_from_db()
    invalid = dict(batch.results.filter(status="invalid").values_list("title", "error"))
    assert invalid == {
        "Foo[bar": CHARACTERS_REASON.format("["),
        "Talk:": EMPTY_REASON,
        "<x>": CHARACTERS_REASON.format("<"),
    }
    assert (fake_wiki.api_requests, fake_wiki.api_titles_total) == (2, 60)
    assert sum(fake_wiki.requests_by_title.values()) == 0
    assert (batch.exists_count, batch.invalid_count) == (57, 3)


@pytest.mark.django_db(transaction=True)
def test_page_mode_gives_forbidden_titles_the_reasons_the_api_gives(user_client, fake_wiki):
    lines = ["Ocean", "Foo[bar", "Talk:", "<x>"]

    batch = submit(user_client, "\n".join(lines), wiki=fake_wiki.wiki_url, mode="page")
    poll_until_finished(user_client, batch)

    batch.refresh_from_db()
    invalid = dict(batch.results.filter(status="invalid").values_list("title", "error"))
    assert invalid == {
        "Foo[bar": CHARACTERS_REASON.format("["),
        "Talk:": EMPTY_REASON,
        "<x>": CHARACTERS_REASON.format("<"),
    }
    assert fake_wiki.requests_by_title == {"Ocean": 1}


# --- Checking end to end -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_seed_pages_give_three_existing_and_one_missing(user_client, fake_wiki):
    batch = submit(user_client, SEED_PAGES, wiki=fake_wiki.wiki_url)

    poll_until_finished(user_client, batch)

    batch.refresh_from_db()
    outcomes = {r.title: (r.status, r.http_status) for r in batch.results.all()}
    assert outcomes == {
        "Ocean": ("exists", 200),
        "Island": ("exists", 200),
        "this page does not exist": ("missing", 404),
        "Shark": ("exists", 200),
    }
    assert (batch.status, batch.exists_count, batch.missing_count) == ("finished", 3, 1)
    assert batch.finished_at is not None


@pytest.mark.django_db(transaction=True)
def test_tiny_timeout_records_timeout_errors(user_client, fake_wiki):
    fake_wiki.latency_ms = 300

    batch = submit(user_client, "Ocean\nIsland\n", wiki=fake_wiki.wiki_url, timeout="0.05")
    poll_until_finished(user_client, batch)

    errors = list(batch.results.values_list("status", "error"))
    assert all(status == "error" for status, _ in errors)
    assert all("Timeout" in error.split(":")[0] for _, error in errors), errors


@pytest.mark.django_db(transaction=True)
def test_results_arrive_in_completion_order_through_the_cursor(user_client, fake_wiki):
    batch = submit(user_client, "\n".join(f"Page {n}" for n in range(40)), wiki=fake_wiki.wiki_url)

    poll_until_finished(user_client, batch)

    orders = list(
        batch.results.order_by("completion_order").values_list("completion_order", flat=True)
    )
    assert orders == list(range(1, 41))


# --- The progress fragment -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_progress_polls_while_running_and_stops_with_286_when_finished(user_client, fake_wiki):
    fake_wiki.latency_ms = 400
    batch = submit(user_client, "Ocean\n", wiki=fake_wiki.wiki_url)
    url = reverse("batch_progress", args=[batch.pk])

    running = user_client.get(url, headers={"HX-Request": "true"})
    finished = poll_until_finished(user_client, batch)

    assert running.status_code == 200
    assert 'hx-trigger="every 1s"' in running.content.decode()
    assert finished.status_code == 286
    assert "hx-trigger" not in finished.content.decode()


@pytest.mark.django_db(transaction=True)
def test_progress_fragment_sends_only_rows_after_the_cursor(user_client, fake_wiki):
    batch = submit(user_client, "Ocean\nIsland\nShark\n", wiki=fake_wiki.wiki_url)
    poll_until_finished(user_client, batch)
    url = reverse("batch_progress", args=[batch.pk])

    after_two = user_client.get(url + "?after=2", headers={"HX-Request": "true"}).content.decode()

    last = batch.results.get(completion_order=3)
    first = batch.results.get(completion_order=1)
    assert f">{last.title}</a>" in after_two
    assert f">{first.title}</a>" not in after_two
    assert '<template><tbody hx-swap-oob="beforeend:#results-body">' in after_two


@pytest.mark.django_db(transaction=True)
def test_batch_page_shows_counts_and_rows(user_client, fake_wiki):
    batch = submit(user_client, SEED_PAGES, wiki=fake_wiki.wiki_url)
    poll_until_finished(user_client, batch)

    page = user_client.get(batch.get_absolute_url()).content.decode()

    assert '<span data-count="exists">3</span>' in page
    assert '<span data-count="missing">1</span>' in page
    assert 'data-count="pending"' not in page
    assert "this page does not exist" in page


# --- History --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_history_lists_own_batches_newest_first_in_pages(user_client, user, other_user):
    wiki = "https://en.wikipedia.org/wiki/"
    mine = [Batch.objects.create(owner=user, wiki=wiki, total=n + 1) for n in range(30)]
    theirs = Batch.objects.create(owner=other_user, wiki=wiki, total=999)

    first = user_client.get(reverse("batch_list"))
    second = user_client.get(reverse("batch_list") + "?page=2")

    first_ids = [b.pk for b in first.context["page"].object_list]
    second_ids = [b.pk for b in second.context["page"].object_list]
    assert first_ids + second_ids == [b.pk for b in reversed(mine)]
    assert str(theirs.pk) not in first.content.decode() + second.content.decode()
    assert str(mine[-1].get_absolute_url()) in first.content.decode()


# --- Actions -------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_cancel_stops_a_running_batch_and_polling_ends(user_client, fake_wiki):
    fake_wiki.latency_ms = 300
    batch = submit(user_client, "\n".join(f"Slow {n}" for n in range(40)), wiki=fake_wiki.wiki_url)

    response = user_client.post(reverse("batch_cancel", args=[batch.pk]))
    last_poll = poll_until_finished(user_client, batch)

    batch.refresh_from_db()
    assert response.status_code == 302
    assert batch.status == Batch.Status.CANCELLED
    assert batch.cancelled_count > 0
    assert batch.done + batch.cancelled_count == 40
    assert "Cancelled" in last_poll.content.decode()
    assert "hx-trigger" not in last_poll.content.decode()


@pytest.mark.django_db(transaction=True)
def test_retry_opens_a_new_batch_of_the_failed_pages(user_client, fake_wiki):
    batch = submit(user_client, "Ocean\nFault:500\nFault:redirect-loop\n", wiki=fake_wiki.wiki_url)
    poll_until_finished(user_client, batch)

    response = user_client.post(reverse("batch_retry", args=[batch.pk]))

    again = Batch.objects.exclude(pk=batch.pk).get()
    assert response.url == again.get_absolute_url()
    assert sorted(again.results.values_list("title", flat=True)) == [
        "Fault:500",
        "Fault:redirect-loop",
    ]


@pytest.mark.django_db(transaction=True)
def test_retry_with_nothing_failed_says_so(user_client, fake_wiki):
    batch = submit(user_client, "Ocean\n", wiki=fake_wiki.wiki_url)
    poll_until_finished(user_client, batch)

    response = user_client.post(reverse("batch_retry", args=[batch.pk]), follow=True)

    assert Batch.objects.count() == 1
    assert "nothing to check again" in response.content.decode()


@pytest.mark.django_db
def test_a_poll_after_the_session_ended_sends_the_whole_page_to_login(client, user):
    batch = Batch.objects.create(owner=user, wiki="https://en.wikipedia.org/wiki/", total=1)
    page = batch.get_absolute_url()

    response = client.get(
        reverse("batch_progress", args=[batch.pk]),
        headers={"HX-Request": "true", "HX-Current-URL": f"http://testserver{page}"},
    )

    assert response.status_code == 200
    assert response["HX-Redirect"] == f"{reverse('login')}?next={page}"
    assert response.content == b""


# --- Pages of results ----------------------------------------------------------------------------


@pytest.fixture
def finished_batch(user):
    batch = Batch.objects.create(
        owner=user, wiki="https://en.wikipedia.org/wiki/", total=5000, done=5000
    )
    results_insert(
        batch_id=batch.pk,
        rows=((f"https://en.wikipedia.org/wiki/P_{n}", f"P {n}", "") for n in range(5000)),
    )
    # Completed in reverse submission order, so pages by completion differ from positions.
    Result.objects.filter(batch=batch).update(
        status="exists", completion_order=5000 - F("position")
    )
    Batch.objects.filter(pk=batch.pk).update(status="finished")
    batch.refresh_from_db()
    return batch


def shown_orders(response) -> list[int]:
    """The completion orders of the result rows in the page or fragment."""
    return [
        int(order)
        for order in re.findall(r"<tr data-completed=\"(\d+)\">", response.content.decode())
    ]


@pytest.mark.django_db
def test_batch_page_shows_one_page_of_results(user_client, finished_batch):
    first = user_client.get(finished_batch.get_absolute_url())
    third = user_client.get(finished_batch.get_absolute_url() + "?page=3")

    assert shown_orders(first) == list(range(1, 101))
    assert shown_orders(third) == list(range(201, 301))
    assert "Results page 3 of 50" in third.content.decode()


@pytest.mark.django_db
def test_a_poll_sends_only_the_pages_rows_after_the_cursor(user_client, finished_batch):
    url = reverse("batch_progress", args=[finished_batch.pk]) + "?page=2&after=150"

    response = user_client.get(url, headers={"HX-Request": "true"})

    assert shown_orders(response) == list(range(151, 201))
    assert response.status_code == 286


@pytest.mark.django_db
def test_the_progress_fragment_of_a_large_batch_takes_four_queries(
    user_client, finished_batch, django_assert_max_num_queries
):
    url = reverse("batch_progress", args=[finished_batch.pk]) + "?page=7&after=0"

    with django_assert_max_num_queries(4):
        response = user_client.get(url, headers={"HX-Request": "true"})

    assert shown_orders(response) == list(range(601, 701))


# --- What the wiki said of each page --------------------------------------------------------------


def row_of(response, title: str) -> str:
    """The HTML of the result row of `title`."""
    rows = re.findall(r"<tr[^>]*>.*?</tr>", response.content.decode(), re.DOTALL)
    (row,) = [row for row in rows if f">{title}</a>" in row]
    return row


@pytest.fixture
def described_batch(user):
    """A disambiguation page, a redirect to one, and a page with its item, length and edit."""
    batch = Batch.objects.create(
        owner=user, wiki="https://en.wikipedia.org/wiki/", total=3, done=3, status="finished"
    )
    results_insert(
        batch_id=batch.pk,
        rows=(
            (f"https://en.wikipedia.org/wiki/{t}", t, "") for t in ("Mercury", "Merkur", "Ocean")
        ),
    )
    batch.results.update(status="exists", completion_order=F("position") + 1)
    batch.results.filter(title="Mercury").update(disambiguation=True)
    batch.results.filter(title="Merkur").update(redirect_target="Mercury", disambiguation=True)
    batch.results.filter(title="Ocean").update(
        wikidata_item="Q9430",
        length=152_315,
        last_edited=datetime(2024, 12, 31, 23, 59, 58, tzinfo=UTC),
    )
    return batch


@pytest.mark.django_db
def test_a_disambiguation_page_shows_a_badge_beside_its_status(user_client, described_batch):
    response = user_client.get(described_batch.get_absolute_url())

    row = row_of(response, "Mercury")
    assert re.search(
        r"Exists</span>\s*<span class=\"badge badge-disambiguation\">Disambiguation<", row
    )
    assert "Disambiguation" not in row_of(response, "Ocean")


@pytest.mark.django_db
def test_a_redirect_to_a_disambiguation_page_shows_the_badge_beside_its_target(
    user_client, described_batch
):
    response = user_client.get(described_batch.get_absolute_url())

    row = row_of(response, "Merkur")
    assert re.search(
        r"Redirects to <q>Mercury</q>\s*<span class=\"badge badge-disambiguation\">", row
    )
    assert row.count("Disambiguation") == 1


@pytest.mark.django_db
def test_a_pages_wikidata_item_links_to_wikidata(user_client, described_batch):
    response = user_client.get(described_batch.get_absolute_url())

    assert '<a href="https://www.wikidata.org/wiki/Q9430"' in row_of(response, "Ocean")


@pytest.mark.django_db
@pytest.mark.parametrize("item", ["q9430", "Q9430/../Special:Logout", "Q", "L123", " Q1"])
def test_an_item_that_is_not_a_q_id_is_not_linked(user_client, described_batch, item):
    described_batch.results.filter(title="Ocean").update(wikidata_item=item)

    response = user_client.get(described_batch.get_absolute_url())

    assert "wikidata.org" not in response.content.decode()


@pytest.mark.django_db
def test_a_pages_length_and_last_edit_are_shown(user_client, described_batch):
    response = user_client.get(described_batch.get_absolute_url())

    row = row_of(response, "Ocean")
    assert "152315 bytes" in row
    assert re.search(r'last edited <time datetime="2024-12-31T23:59:58[^"]*"', row)


# --- Progress figures ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_running_batch_shows_the_time_left_at_the_rate_so_far(user_client, user):
    batch = batch_of(user, statuses=["exists"] * 5 + ["pending"] * 5)
    Batch.objects.filter(pk=batch.pk).update(created_at=timezone.now() - timedelta(seconds=20))

    page = user_client.get(batch.get_absolute_url()).content.decode()

    # 5 pending pages at 5 done in 20 s: about 20 s more.
    left = int(re.search(r"about (\d+) s left", page).group(1))
    assert 20 <= left <= 21


@pytest.mark.django_db
def test_a_finished_batch_shows_its_speed_up_over_one_by_one(user_client, user):
    started = timezone.now() - timedelta(minutes=1)
    batch = batch_of(user, statuses=["exists"] * 4, status="finished", checked_ms=80_000)
    Batch.objects.filter(pk=batch.pk).update(
        created_at=started, finished_at=started + timedelta(seconds=10)
    )

    page = user_client.get(batch.get_absolute_url()).content.decode()

    assert "8.0\N{MULTIPLICATION SIGN} faster than one by one" in page
    assert "10.0 s</span> elapsed" in page
    assert "s left" not in page


@pytest.mark.django_db
def test_rare_counts_show_only_when_some_pages_have_them(user_client, user):
    plain = batch_of(user, statuses=["exists", "missing"])
    rare = batch_of(user, statuses=["exists", "invalid", "cancelled"], redirect_count=1)

    plain_page = user_client.get(plain.get_absolute_url()).content.decode()
    rare_page = user_client.get(rare.get_absolute_url()).content.decode()

    for key in ("invalid", "redirect", "cancelled"):
        assert f'data-count="{key}"' not in plain_page
        assert f'<span data-count="{key}">1</span>' in rare_page
    assert ">Not checked</a></li>" in rare_page


# --- Filtering and ordering results -----------------------------------------------------------


@pytest.fixture
def mixed_batch(user):
    return batch_of(user, statuses=["exists", "missing", "error", "missing", "pending", "exists"])


def shown_titles(response) -> list[str]:
    return re.findall(
        r'rel="noreferrer noopener" target="_blank">(T\d+)</a>', response.content.decode()
    )


@pytest.mark.django_db
def test_results_can_be_filtered_by_status(user_client, mixed_batch):
    response = user_client.get(mixed_batch.get_absolute_url() + "?status=missing")

    assert shown_titles(response) == ["T3", "T1"]
    assert "Results: Does not exist" in response.content.decode()


@pytest.mark.django_db
def test_results_can_be_listed_in_submission_order(user_client, mixed_batch):
    response = user_client.get(mixed_batch.get_absolute_url() + "?order=submitted")

    assert shown_titles(response) == ["T0", "T1", "T2", "T3", "T4", "T5"]


@pytest.mark.django_db
def test_a_filtered_listing_polls_the_counts_but_never_appends_rows(user_client, mixed_batch):
    url = reverse("batch_progress", args=[mixed_batch.pk]) + "?status=missing&page=1&after=0"

    poll = user_client.get(url, headers={"HX-Request": "true"})
    page = user_client.get(mixed_batch.get_absolute_url() + "?status=missing").content.decode()

    assert poll.status_code == 200
    assert 'hx-trigger="every 1s"' in poll.content.decode()
    assert "hx-swap-oob" not in poll.content.decode()
    assert shown_titles(poll) == []
    assert "status=missing" in re.search(r'hx-get="([^"]*)"', page).group(1)


@pytest.fixture
def batch_with_disambiguation(user):
    """Exists, a disambiguation page, a redirect to one, a plain redirect, missing."""
    batch = batch_of(
        user,
        statuses=["exists", "exists", "exists", "exists", "missing"],
        redirect_count=2,
        disambiguation_count=2,
    )
    batch.results.filter(position=1).update(disambiguation=True)
    batch.results.filter(position=2).update(redirect_target="Mercury", disambiguation=True)
    batch.results.filter(position=3).update(redirect_target="Ocean")
    return batch


@pytest.mark.django_db
def test_results_can_be_filtered_to_disambiguation_pages_and_redirects_to_one(
    user_client, batch_with_disambiguation
):
    url = batch_with_disambiguation.get_absolute_url()

    response = user_client.get(url + "?status=disambiguation&order=submitted")

    assert shown_titles(response) == ["T1", "T2"]
    assert "Results: Disambiguation" in response.content.decode()


@pytest.mark.django_db
def test_results_can_be_filtered_to_redirects(user_client, batch_with_disambiguation):
    url = batch_with_disambiguation.get_absolute_url()

    response = user_client.get(url + "?status=redirect&order=submitted")

    assert shown_titles(response) == ["T2", "T3"]


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["disambiguation", "redirect"])
def test_the_disambiguation_and_redirect_counts_link_to_their_listings(
    user_client, batch_with_disambiguation, key
):
    page = user_client.get(batch_with_disambiguation.get_absolute_url()).content.decode()

    assert f'href="?status={key}"' in page
    assert f'<span data-count="{key}">2</span>' in page


# --- Deleting ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_deleting_asks_for_confirmation_and_a_get_deletes_nothing(user_client, mixed_batch):
    response = user_client.get(reverse("batch_delete", args=[mixed_batch.pk]))

    assert "Delete this batch of 6 pages? This cannot be undone." in response.content.decode()
    assert '<form method="post"' in response.content.decode()
    assert Batch.objects.filter(pk=mixed_batch.pk).exists()


@pytest.mark.django_db
def test_a_confirmed_delete_removes_the_batch_and_returns_to_history(user_client, mixed_batch):
    response = user_client.post(reverse("batch_delete", args=[mixed_batch.pk]), follow=True)

    assert response.redirect_chain == [(reverse("batch_list"), 302)]
    assert "Deleted the batch of 6 pages." in response.content.decode()
    assert not Batch.objects.exists()
    assert not Result.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
def test_another_users_batch_cannot_be_deleted(client, other_user, mixed_batch, method):
    client.force_login(other_user)

    response = getattr(client, method)(reverse("batch_delete", args=[mixed_batch.pk]))

    assert response.status_code == 404
    assert Batch.objects.filter(pk=mixed_batch.pk).exists()


# --- Searching and filtering the history ---------------------------------------------------------


def history_ids(response) -> list:
    return [batch.pk for batch in response.context["page"].object_list]


@pytest.mark.django_db
def test_history_search_finds_batches_by_a_results_title_or_url(user_client, user, mixed_batch):
    other = Batch.objects.create(owner=user, wiki="https://en.wikipedia.org/wiki/", total=1)
    results_insert(batch_id=other.pk, rows=[("https://en.wikipedia.org/wiki/Sea_water", "X", "")])

    by_title = user_client.get(reverse("batch_list") + "?q=t3")
    by_url = user_client.get(reverse("batch_list") + "?q=sea_WATER")

    assert history_ids(by_title) == [mixed_batch.pk]
    assert history_ids(by_url) == [other.pk]


@pytest.mark.django_db
def test_history_filters_by_status(user_client, user):
    wiki = "https://en.wikipedia.org/wiki/"
    finished = Batch.objects.create(owner=user, wiki=wiki, total=1, status="finished")
    Batch.objects.create(owner=user, wiki=wiki, total=1, status="running")

    response = user_client.get(reverse("batch_list") + "?status=finished")

    assert history_ids(response) == [finished.pk]


@pytest.mark.django_db
def test_history_filters_by_date_including_both_ends(user_client, user):
    wiki = "https://en.wikipedia.org/wiki/"
    days = [Batch.objects.create(owner=user, wiki=wiki, total=1) for _ in range(4)]
    for day, batch in zip([1, 2, 3, 4], days, strict=True):
        moment = datetime(2025, 3, day, 23, 30, tzinfo=UTC)
        Batch.objects.filter(pk=batch.pk).update(created_at=moment)

    response = user_client.get(reverse("batch_list") + "?since=2025-03-02&until=2025-03-03")

    assert history_ids(response) == [days[2].pk, days[1].pk]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query", ["until=9999-12-31", "since=0001-01-01", "since=0001-01-01&until=9999-12-31"]
)
def test_history_filters_up_to_the_last_and_from_the_first_day_there_is(user_client, user, query):
    batch = Batch.objects.create(owner=user, wiki="https://en.wikipedia.org/wiki/", total=1)

    response = user_client.get(reverse("batch_list") + "?" + query)

    assert response.status_code == 200
    assert history_ids(response) == [batch.pk]


@pytest.mark.django_db
def test_history_with_from_after_to_says_so(user_client, user):
    response = user_client.get(reverse("batch_list") + "?since=2025-03-04&until=2025-03-02")

    assert response.status_code == 200
    assert "“To” is before “From”: pick a To date on or after 2025-03-04." in (
        response.content.decode()
    )


@pytest.mark.django_db
def test_history_pages_keep_the_filters(user_client, user):
    wiki = "https://en.wikipedia.org/wiki/"
    for _ in range(30):
        Batch.objects.create(owner=user, wiki=wiki, total=1, status="finished")

    response = user_client.get(reverse("batch_list") + "?status=finished&q=")

    assert 'href="?status=finished&amp;q=&amp;page=2"' in response.content.decode()


@pytest.mark.django_db
def test_history_with_no_match_says_so_and_links_to_clear(user_client, mixed_batch):
    response = user_client.get(reverse("batch_list") + "?q=nowhere")

    page = response.content.decode()
    assert "No batches match “nowhere”." in page
    assert f'<a href="{reverse("batch_list")}">Clear the search and filters</a>' in page


@pytest.mark.django_db
def test_history_search_takes_a_fixed_number_of_queries_without_a_join(
    user_client, user, django_assert_max_num_queries
):
    for _ in range(30):
        batch_of(user, statuses=["exists"] * 3)

    with django_assert_max_num_queries(4) as queries:
        response = user_client.get(reverse("batch_list") + "?q=T1")

    assert len(history_ids(response)) == 25
    listing = queries.captured_queries[-1]["sql"]
    assert "EXISTS" in listing
    assert "DISTINCT" not in listing


# --- Error pages ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_missing_page_gets_the_sites_404_page(user_client, settings):
    settings.DEBUG = False

    response = user_client.get("/batches/00000000-0000-0000-0000-000000000000/")

    page = response.content.decode()
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in page
    assert 'class="site-header"' in page


@pytest.mark.django_db
def test_a_failing_view_gets_the_plain_500_page_without_touching_the_database(
    client, settings, django_assert_num_queries
):
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.error_urls"
    client.raise_request_exception = False

    with django_assert_num_queries(0):
        response = client.get("/fail/")

    assert response.status_code == 500
    assert "<h1>Server error</h1>" in response.content.decode()


@pytest.mark.django_db
def test_a_failed_csrf_check_explains_what_to_do(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    response = client.post(reverse("home"), {"urls": "Ocean"})

    assert response.status_code == 403
    assert (
        "Your form expired or cookies are blocked; reload the page and try again"
        in response.content.decode()
    )
    assert Batch.objects.count() == 0


@pytest.mark.django_db
def test_a_cancelled_batch_says_how_many_pages_were_not_checked(user_client, user):
    batch = batch_of(
        user,
        statuses=["exists", "missing", "cancelled", "cancelled", "cancelled"],
        status="cancelled",
    )

    page = user_client.get(reverse("batch_detail", args=[batch.pk])).content.decode()

    assert "<strong>2 of 5</strong> checked, " in page
    assert '<span class="not-checked">3 not checked (cancelled)</span>' in page
    assert "(100%)" not in page


@pytest.mark.django_db
def test_check_the_rest_is_offered_on_a_cancelled_batch_and_resumes_it(user_client, user):
    batch = batch_of(user, statuses=["exists", "cancelled", "cancelled"], status="cancelled")

    page = user_client.get(reverse("batch_detail", args=[batch.pk])).content.decode()
    response = user_client.post(reverse("batch_resume", args=[batch.pk]), follow=True)

    batch.refresh_from_db()
    assert "Check the rest (2)" in page
    assert "Checking the 2 pages left unchecked." in response.content.decode()
    assert (batch.status, batch.cancelled_count) == ("running", 0)


@pytest.mark.django_db
def test_check_the_rest_is_not_offered_on_a_finished_batch(user_client, user):
    batch = batch_of(user, statuses=["exists", "missing"], status="finished")

    page = user_client.get(reverse("batch_detail", args=[batch.pk])).content.decode()

    assert "Check the rest" not in page


@pytest.mark.django_db
def test_another_users_batch_cannot_be_resumed(client, other_user, user):
    batch = batch_of(user, statuses=["exists", "cancelled"], status="cancelled")
    client.force_login(other_user)

    response = client.post(reverse("batch_resume", args=[batch.pk]))

    batch.refresh_from_db()
    assert response.status_code == 404
    assert batch.status == "cancelled"


@pytest.mark.django_db
def test_the_tab_title_shows_the_progress_and_done_once_settled(user_client, user):
    running = batch_of(user, statuses=["exists", "pending", "pending", "pending"])
    finished = batch_of(user, statuses=["exists", "missing"], status="finished")

    page = user_client.get(reverse("batch_detail", args=[running.pk])).content.decode()
    poll = user_client.get(reverse("batch_progress", args=[running.pk])).content.decode()
    done = user_client.get(reverse("batch_detail", args=[finished.pk])).content.decode()

    assert "<title>25% · Batch of 4 pages · wikicheck</title>" in page
    # At the root of the answer, before the swapped section, where htmx looks for it.
    assert "<title>25% · Batch of 4 pages · wikicheck</title>" in poll.split("<section", 1)[0]
    assert "<title>Done · Batch of 2 pages · wikicheck</title>" in done


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("statuses", "status", "rerun", "retry"),
    [
        (["exists", "pending"], "running", False, False),
        (["exists", "missing"], "finished", True, False),
        (["exists", "error", "unknown"], "finished", True, True),
        (["error", "cancelled"], "cancelled", True, True),
    ],
    ids=["running", "nothing to retry", "errors to retry", "cancelled with an error"],
)
def test_re_run_and_retry_are_offered_only_when_they_make_sense(
    user_client, user, statuses, status, rerun, retry
):
    batch = batch_of(user, statuses=statuses, status=status)

    page = user_client.get(reverse("batch_detail", args=[batch.pk])).content.decode()

    assert ("Re-run all" in page) is rerun
    assert ("Retry the failed" in page) is retry
