"""Access control across the site: login, ownership, CSRF, login throttling, deploy settings."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from checks import runner
from checks.models import Batch

ROOT = Path(__file__).resolve().parent.parent
WIKI = "https://en.wikipedia.org/wiki/"
BATCH_ACTIONS = ["batch_cancel", "batch_rerun", "batch_retry"]


@pytest.fixture(autouse=True)
def no_workers(monkeypatch):
    """Nothing here needs a page checked; submissions must never reach the network."""
    monkeypatch.setattr(runner, "workers_wake", lambda **kwargs: None)


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
