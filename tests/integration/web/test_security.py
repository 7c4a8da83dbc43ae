"""Access control across the site: login, ownership, CSRF, login throttling, deploy settings."""

import os
import runpy
import subprocess
import sys

import pytest
from django.test import Client
from django.urls import reverse

from checks.engine.backends.base import Backend
from checks.engine.backends.threads import ThreadsBackend
from checks.models import Batch
from tests.support import ROOT

WIKI = "https://en.wikipedia.org/wiki/"
BATCH_ACTIONS = ["batch_cancel", "batch_rerun", "batch_retry"]


@pytest.fixture(autouse=True)
def no_workers(monkeypatch):
    """Nothing here needs a page checked; submissions must never reach the network."""
    monkeypatch.setattr(ThreadsBackend, "work_submitted", Backend.work_submitted)


@pytest.fixture
def batch_of_other_user(other_user):
    return Batch.objects.create(owner=other_user, wiki=WIKI, total=0)


@pytest.mark.django_db
@pytest.mark.parametrize("name", BATCH_ACTIONS)
def test_actions_on_another_users_batch_are_not_found(user_client, batch_of_other_user, name):
    response = user_client.post(reverse(name, args=[batch_of_other_user.pk]))

    batch_of_other_user.refresh_from_db()
    assert response.status_code == 404
    assert batch_of_other_user.status == Batch.Status.RUNNING
    assert Batch.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("name", BATCH_ACTIONS)
def test_actions_refuse_get(user_client, user, name):
    batch = Batch.objects.create(owner=user, wiki=WIKI, total=0)

    response = user_client.get(reverse(name, args=[batch.pk]))

    assert response.status_code == 405


@pytest.mark.django_db
@pytest.mark.parametrize("name", BATCH_ACTIONS)
def test_actions_require_login(client, user, name):
    batch = Batch.objects.create(owner=user, wiki=WIKI, total=0)

    response = client.post(reverse(name, args=[batch.pk]))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("home", {"urls": "Ocean", "wiki": WIKI}),
        ("batch_cancel", {}),
        ("batch_rerun", {}),
        ("batch_retry", {}),
        ("token_list", {"name": "script"}),
        ("logout", {}),
    ],
)
def test_every_post_without_a_csrf_token_is_refused(user, name, data):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    batch = Batch.objects.create(owner=user, wiki=WIKI, total=1)
    args = [batch.pk] if name.startswith("batch_") else []

    response = client.post(reverse(name, args=args), data)

    batch.refresh_from_db()
    assert response.status_code == 403
    assert Batch.objects.count() == 1
    assert batch.status == Batch.Status.RUNNING


@pytest.mark.django_db
def test_login_post_without_a_csrf_token_is_refused(user):
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("login"), {"username": "alice", "password": "wikicheck-pass-1"})

    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_repeated_failed_logins_lock_the_account_for_that_address(client, user, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "alice", "password": "wrong"})

    locked = client.post(reverse("login"), {"username": "alice", "password": "wikicheck-pass-1"})

    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_correct_password_logs_in_before_the_limit(client, user, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post(reverse("login"), {"username": "alice", "password": "wrong"})

    response = client.post(reverse("login"), {"username": "alice", "password": "wikicheck-pass-1"})

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


@pytest.fixture
def fast_passwords(settings):
    """Each failed login hashes a password, even for an unknown username; these tests make many."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def behind_one_proxy(settings, monkeypatch):
    """The address settings as WIKICHECK_PROXY_COUNT=1 makes them: gunicorn behind the nginx of
    docs/deploy.md, so every connection comes from 127.0.0.1 with the client in X-Forwarded-For."""
    monkeypatch.setenv("WIKICHECK_PROXY_COUNT", "1")
    proxied = runpy.run_path(str(ROOT / "wikicheck_site" / "settings.py"))
    for name in ("AXES_IPWARE_META_PRECEDENCE_ORDER", "AXES_IPWARE_PROXY_COUNT", "IPWARE_STRICT"):
        setattr(settings, name, proxied[name])


def login_post(client: Client, *, username: str, password: str, **headers: str):
    return client.post(reverse("login"), {"username": username, "password": password}, **headers)


@pytest.mark.django_db
def test_failed_logins_over_many_usernames_lock_out_their_address(
    fast_passwords, client, user, settings
):
    # 30 by default, over 10 usernames: 3 failures each, below the per-username limit of 5.
    for attempt in range(settings.WIKICHECK_LOGIN_ADDRESS_FAILURE_LIMIT):
        login_post(client, username=f"guess-{attempt % 10}", password="wrong")

    locked = login_post(client, username="alice", password="wikicheck-pass-1")

    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_an_address_below_its_limit_still_logs_in(fast_passwords, client, user, settings):
    for attempt in range(settings.WIKICHECK_LOGIN_ADDRESS_FAILURE_LIMIT - 1):
        login_post(client, username=f"guess-{attempt % 10}", password="wrong")

    response = login_post(client, username="alice", password="wikicheck-pass-1")

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


@pytest.mark.django_db
def test_bad_passwords_from_one_address_do_not_lock_the_user_out_elsewhere(
    fast_passwords, user, settings
):
    attacker = Client(REMOTE_ADDR="198.51.100.1")
    owner = Client(REMOTE_ADDR="198.51.100.2")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login_post(attacker, username="alice", password="wrong")

    response = login_post(owner, username="alice", password="wikicheck-pass-1")

    assert login_post(attacker, username="alice", password="wikicheck-pass-1").status_code == 429
    assert response.status_code == 302
    assert owner.session["_auth_user_id"] == str(user.pk)


@pytest.mark.django_db
def test_behind_the_proxy_clients_are_counted_by_their_forwarded_address(
    fast_passwords, behind_one_proxy, client, user, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login_post(client, username="alice", password="wrong", HTTP_X_FORWARDED_FOR="198.51.100.1")

    response = login_post(
        client, username="alice", password="wikicheck-pass-1", HTTP_X_FORWARDED_FOR="198.51.100.2"
    )

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


@pytest.mark.django_db
def test_behind_the_proxy_a_client_cannot_escape_a_lockout_by_forging_the_header(
    fast_passwords, behind_one_proxy, client, user, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login_post(client, username="alice", password="wrong", HTTP_X_FORWARDED_FOR="198.51.100.1")

    # nginx appends the address it saw to whatever the client sent.
    forged = login_post(
        client,
        username="alice",
        password="wikicheck-pass-1",
        HTTP_X_FORWARDED_FOR="198.51.100.2, 198.51.100.1",
    )

    assert forged.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_without_a_proxy_a_forwarded_address_is_ignored(fast_passwords, client, user, settings):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        login_post(
            client, username="alice", password="wrong", HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt}"
        )

    response = login_post(
        client, username="alice", password="wikicheck-pass-1", HTTP_X_FORWARDED_FOR="198.51.100.99"
    )

    assert response.status_code == 429


def test_production_settings_pass_the_deploy_check():
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "x7!Qm2#pL9@vR4$wT8^zK1&nB6*cY3(hJ5)dF0-gS_uE+aW=oI]" * 2,
        "ALLOWED_HOSTS": "wikicheck.example.org",
        "DATABASE_URL": "sqlite:///:memory:",
    }

    check = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert check.returncode == 0, check.stdout + check.stderr
    assert "System check identified no issues" in check.stdout


def test_production_settings_require_a_secret_key():
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": ""}

    check = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert check.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in check.stderr
