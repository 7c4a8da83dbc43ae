"""Response headers: the Content-Security-Policy everywhere, no per-user answer left in a cache."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from checks.engine.backends.base import Backend
from checks.engine.backends.threads import ThreadsBackend
from checks.models import ApiToken, Batch
from tests.support import ROOT

WIKI = "https://en.wikipedia.org/wiki/"
POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
}


@pytest.fixture(autouse=True)
def no_workers(monkeypatch):
    monkeypatch.setattr(ThreadsBackend, "work_submitted", Backend.work_submitted)


@pytest.fixture
def batch(user) -> Batch:
    return Batch.objects.create(owner=user, wiki=WIKI, total=0)


@pytest.fixture
def api_client(user) -> Client:
    token = ApiToken(user=user, name="script")
    key = token.key_generate()
    token.save()
    return Client(headers={"Authorization": f"Bearer {key}"})


def policy_of(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


def cache_directives(response) -> set[str]:
    return {part.strip() for part in response.headers.get("Cache-Control", "").split(",")}


def pages(batch: Batch) -> list[str]:
    return [
        reverse("home"),
        reverse("batch_list") + "?q=Ocean",
        batch.get_absolute_url(),
        reverse("batch_delete", args=[batch.pk]),
        "/batches/00000000-0000-0000-0000-000000000000/",
    ]


# --- Content-Security-Policy ---------------------------------------------------------------------


@pytest.mark.django_db
def test_every_page_carries_the_policy(user_client, batch):
    for url in pages(batch):
        response = user_client.get(url)

        assert policy_of(response) == POLICY, url


@pytest.mark.django_db
def test_the_login_page_carries_the_policy(client):
    response = client.get(reverse("login"))

    assert policy_of(response) == POLICY


@pytest.mark.django_db
def test_the_admin_carries_the_same_policy(client, admin_user):
    client.force_login(admin_user)

    response = client.get(reverse("admin:checks_batch_changelist"))

    assert response.status_code == 200
    assert policy_of(response) == POLICY


def test_no_template_or_static_file_has_inline_script_style_or_event_code():
    files = [*(ROOT / "templates").rglob("*.html"), *(ROOT / "static").rglob("*.*")]
    inline = re.compile(
        r"<script(?![^>]*\bsrc=)[^>]*>|<style|\sstyle=|\shx-on|\son[a-z]+=|javascript:|hx-vars|js:"
    )

    found = {
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path in files
        for match in inline.finditer(path.read_text())
    }

    assert found == set()


def test_htmx_is_told_not_to_inject_its_indicator_style_nor_to_eval():
    base = (ROOT / "templates" / "base.html").read_text()

    config = re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", base).group(1)

    assert '"includeIndicatorStyles": false' in config
    assert '"allowEval": false' in config


# --- Cache-Control -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_signed_in_pages_are_neither_stored_nor_shared(user_client, batch):
    for url in pages(batch):
        response = user_client.get(url)

        assert {"private", "no-store"} <= cache_directives(response), url


@pytest.mark.django_db
def test_the_progress_fragment_is_neither_stored_nor_shared(user_client, batch):
    response = user_client.get(
        reverse("batch_progress", args=[batch.pk]), headers={"HX-Request": "true"}
    )

    assert {"private", "no-store"} <= cache_directives(response)


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["batch_export_csv", "batch_export_json"])
def test_exports_are_neither_stored_nor_shared(user_client, batch, name):
    response = user_client.get(reverse(name, args=[batch.pk]))

    assert response.streaming
    assert {"private", "no-store"} <= cache_directives(response)


@pytest.mark.django_db
def test_api_answers_are_neither_stored_nor_shared(api_client, batch):
    listing = api_client.get(reverse("api:batch_collection"))
    detail = api_client.get(reverse("api:batch_detail", args=[batch.pk]))

    assert listing.status_code == detail.status_code == 200
    assert {"private", "no-store"} <= cache_directives(listing)
    assert {"private", "no-store"} <= cache_directives(detail)


@pytest.mark.django_db
def test_api_errors_are_neither_stored_nor_shared(api_client, client):
    not_found = api_client.get("/api/nothing-here")
    anonymous = client.get(reverse("api:batch_collection"))

    assert not_found.status_code == 404
    assert anonymous.status_code == 401
    assert {"private", "no-store"} <= cache_directives(not_found)
    assert {"private", "no-store"} <= cache_directives(anonymous)


@pytest.mark.django_db
def test_static_files_keep_whitenoises_cache_headers(settings):
    # As in development, whitenoise serves from the finders (tests run no collectstatic).
    settings.WHITENOISE_USE_FINDERS = True

    response = Client().get("/static/css/wikicheck.css")

    assert response.status_code == 200
    assert "no-store" not in cache_directives(response)
    assert "public" in cache_directives(response)
