"""The API tokens page: a user makes and revokes their own tokens; a key is shown once."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from checks.api.tokens import api_token_create
from checks.models import ApiToken

TOKENS_URL = "/tokens/"
# The key as the page shows it after making a token.
KEY = re.compile(r"<code>([A-Za-z0-9_-]{43})</code>")


def make(client: Client, name: str = "nightly script"):
    return client.post(TOKENS_URL, {"name": name})


def key_of(response) -> str:
    return KEY.search(response.content.decode()).group(1)


def revoke_url(token: ApiToken) -> str:
    return reverse("token_revoke", args=[token.pk])


@pytest.mark.django_db
def test_the_page_asks_for_the_new_token_s_name(user_client):
    page = user_client.get(TOKENS_URL).content.decode()

    assert re.search(r'<label for="id_name">[^<]+</label>\s*<input type="text" name="name"', page)


@pytest.mark.django_db
def test_making_a_token_shows_its_key_which_calls_the_api_as_the_user(user_client, user):
    response = make(user_client)

    key = key_of(response)
    answer = Client().get("/api/batches/", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    assert "Copy it now" in response.content.decode()
    assert ApiToken.objects.get().user == user
    assert answer.status_code == 200


@pytest.mark.django_db
def test_the_key_is_shown_once_and_then_only_its_first_characters(user_client):
    key = key_of(make(user_client))

    page = user_client.get(TOKENS_URL).content.decode()

    assert key not in page
    assert f"<code>{key[:6]}…</code>" in page
    assert "nightly script" in page


@pytest.mark.django_db
def test_the_answer_showing_a_key_is_not_cached(user_client):
    response = make(user_client)

    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_the_key_is_not_kept_in_the_session(user_client):
    key = key_of(make(user_client))

    assert key not in str(dict(user_client.session))
    assert ApiToken.objects.get().key_hash != key


@pytest.mark.django_db
def test_a_token_needs_a_name(user_client):
    response = make(user_client, name="")

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not KEY.search(response.content.decode())
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_a_user_sees_only_their_own_tokens(user_client, other_user):
    api_token_create(user=other_user, name="bob's robot")

    page = user_client.get(TOKENS_URL).content.decode()

    assert "bob" not in page
    assert "No tokens yet." in page


@pytest.mark.django_db
def test_revoking_a_token_stops_its_key_working(user_client):
    key = key_of(make(user_client))
    token = ApiToken.objects.get()

    response = user_client.post(revoke_url(token), follow=True)

    answer = Client().get("/api/batches/", headers={"Authorization": f"Bearer {key}"})
    assert response.redirect_chain == [(TOKENS_URL, 302)]
    assert "Revoked the token “nightly script”" in response.content.decode()
    assert not ApiToken.objects.exists()
    assert answer.status_code == 401


@pytest.mark.django_db
def test_another_user_s_token_cannot_be_revoked(user_client, other_user):
    token, _ = api_token_create(user=other_user, name="bob's robot")

    response = user_client.post(revoke_url(token))

    assert response.status_code == 404
    assert ApiToken.objects.filter(pk=token.pk).exists()


@pytest.mark.django_db
def test_revoking_refuses_get(user_client, user):
    make(user_client)

    response = user_client.get(revoke_url(ApiToken.objects.get()))

    assert response.status_code == 405
    assert ApiToken.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["make", "revoke"])
def test_a_post_without_its_csrf_token_is_refused(user, action):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    token, _ = api_token_create(user=user, name="script")
    url = TOKENS_URL if action == "make" else revoke_url(token)

    response = client.post(url, {"name": "another"})

    assert response.status_code == 403
    assert list(ApiToken.objects.values_list("name", flat=True)) == ["script"]


@pytest.mark.django_db
def test_the_page_needs_a_login(client):
    response = client.get(TOKENS_URL)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.django_db
def test_every_page_links_to_the_tokens_page(user_client):
    page = user_client.get(reverse("home")).content.decode()

    assert f'<a href="{TOKENS_URL}">API tokens</a>' in page
