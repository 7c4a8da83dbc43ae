"""A list that lives on the wiki: a page's links or a category's members as a batch, read through
the API's generators, each row final at once."""

import pytest
from django.urls import reverse

from checks.batches import batch_rerun
from checks.intake.sources import SourceUnreadable
from checks.models import Batch


@pytest.fixture
def api_wiki(fake_wiki, settings):
    settings.WIKICHECK_API_PATHS = [(f"127.0.0.1:{fake_wiki.port}", "/w/api.php")]
    return fake_wiki


def submit(client, wiki, **fields):
    return client.post(reverse("home"), {"urls": "", "wiki": wiki.wiki_url, **fields})


def field_errors(response, field: str) -> list[str]:
    return response.context["form"].errors.get(field, [])


@pytest.mark.django_db
def test_the_links_of_a_2000_link_page_are_a_finished_batch_from_4_requests(api_wiki, user_client):
    submit(user_client, api_wiki, links_of="Links 2000")

    batch = Batch.objects.get()
    assert (batch.status, batch.total, batch.done) == (Batch.Status.FINISHED, 2000, 2000)
    assert (batch.missing_count, batch.redirect_count) == (200, 257)
    assert batch.disambiguation_count == 125 + 114
    assert (batch.source_kind, batch.source) == ("links", "Links 2000")
    assert api_wiki.api_requests == 4
    assert dict(api_wiki.api_generator_requests) == {"links": 4}


@pytest.mark.django_db
def test_each_linked_page_is_a_row_with_its_outcome_url_and_title_as_entry(api_wiki, user_client):
    submit(user_client, api_wiki, links_of="Links 20")

    rows = Batch.objects.get().results.order_by("position")
    red = rows.get(title="Missing linked 10")
    redirect = rows.get(title="Redirect to Target 14 (disambiguation)")
    assert (red.status, red.url, red.entry, red.lines) == (
        "missing",
        f"{api_wiki.url}/wiki/Missing_linked_10",
        "Missing linked 10",
        "",
    )
    assert (redirect.status, redirect.redirect_target, redirect.disambiguation) == (
        "exists",
        "Target 14 (disambiguation)",
        True,
    )
    assert rows.get(title="Linked 1").page_id is not None


@pytest.mark.django_db
def test_a_page_url_names_the_source_as_its_title_does(api_wiki, user_client):
    submit(user_client, api_wiki, links_of=f"{api_wiki.url}/wiki/Links_30")

    assert Batch.objects.get().total == 30


@pytest.mark.django_db
def test_the_namespace_filter_keeps_the_links_in_those_namespaces(api_wiki, user_client):
    submit(user_client, api_wiki, links_of="Links 30", namespaces="1, 10")

    batch = Batch.objects.get()
    titles = list(batch.results.values_list("title", flat=True))
    assert titles and all(title.startswith(("Talk:", "Template:")) for title in titles)
    assert batch.source_namespaces == "1,10"


@pytest.mark.django_db
def test_a_categorys_members_are_a_batch_and_the_prefix_is_added(api_wiki, user_client):
    submit(user_client, api_wiki, category="Members 600")

    batch = Batch.objects.get()
    assert (batch.status, batch.total, batch.missing_count) == (Batch.Status.FINISHED, 600, 0)
    assert batch.source_kind == "category"
    assert dict(api_wiki.api_generator_requests) == {"categorymembers": 2}


@pytest.mark.parametrize(
    ("fields", "field", "says"),
    [
        ({"links_of": "Missing source page"}, "links_of", "does not exist"),
        ({"category": "Members that does not exist"}, "category", "does not exist"),
        ({"links_of": "Ocean"}, "links_of", "links to no pages"),
        ({"category": "Ocean"}, "category", "has no members"),
    ],
)
@pytest.mark.django_db
def test_a_source_with_nothing_to_check_is_a_form_error_and_nothing_is_stored(
    api_wiki, user_client, fields, field, says
):
    response = submit(user_client, api_wiki, **fields)

    assert response.status_code == 200
    assert any(says in error for error in field_errors(response, field))
    assert Batch.objects.count() == 0


@pytest.mark.django_db
def test_a_source_over_the_batch_limit_is_refused_with_its_count(api_wiki, user_client, settings):
    settings.WIKICHECK_MAX_BATCH = 100

    response = submit(user_client, api_wiki, links_of="Links 2000")

    assert field_errors(response, "links_of") == [
        "the page Links 2000 links to more than 100 pages"
    ]
    assert Batch.objects.count() == 0


@pytest.mark.django_db
def test_page_mode_is_refused_for_a_source(api_wiki, user_client):
    response = submit(user_client, api_wiki, links_of="Links 20", mode="page")

    assert any("API" in error for error in field_errors(response, "mode"))
    assert Batch.objects.count() == 0
    assert api_wiki.api_requests == 0


@pytest.mark.django_db
def test_a_wiki_without_an_api_is_refused_for_a_source(fake_wiki, user_client):
    response = submit(user_client, fake_wiki, category="Members 5")

    assert any("no API" in error for error in field_errors(response, "category"))
    assert Batch.objects.count() == 0


@pytest.mark.django_db
def test_a_source_off_the_allow_list_is_refused(api_wiki, user_client):
    response = submit(user_client, api_wiki, links_of="https://evil.example/wiki/Links_5")

    assert field_errors(response, "links_of")
    assert Batch.objects.count() == 0


@pytest.mark.django_db
def test_a_source_and_lines_together_are_refused(api_wiki, user_client):
    response = submit(user_client, api_wiki, urls="Ocean", links_of="Links 20")

    assert response.context["form"].non_field_errors()
    assert Batch.objects.count() == 0


@pytest.mark.django_db
def test_rerun_reads_the_source_again(api_wiki, user_client, user):
    submit(user_client, api_wiki, links_of="Links 600", namespaces="0")
    first = Batch.objects.get()
    api_wiki.reset()

    again = batch_rerun(batch=first, owner=user)

    assert (again.source_kind, again.source, again.source_namespaces) == ("links", "Links 600", "0")
    assert again.total == first.total
    assert again.parent == first
    assert dict(api_wiki.api_generator_requests) == {"links": 2}


@pytest.mark.django_db
def test_rerun_of_a_source_that_cannot_be_read_any_more_stores_nothing(
    api_wiki, user_client, user, settings
):
    submit(user_client, api_wiki, category="Members 5")
    settings.WIKICHECK_API_PATHS = []

    with pytest.raises(SourceUnreadable, match="no API configured"):
        batch_rerun(batch=Batch.objects.get(), owner=user)

    assert Batch.objects.count() == 1
