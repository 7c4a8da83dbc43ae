"""Fixtures of the API's tests: a script's client with its token, and no workers."""

import pytest
from django.test import Client

from checks.engine.backends.base import Backend
from checks.engine.backends.threads import ThreadsBackend
from checks.models import ApiToken


@pytest.fixture
def no_workers(monkeypatch):
    """For tests that never need a page checked: submissions must not reach the network."""
    monkeypatch.setattr(ThreadsBackend, "work_submitted", Backend.work_submitted)


@pytest.fixture
def token(user) -> tuple[ApiToken, str]:
    """A token of `user`, and its key."""
    token = ApiToken(user=user, name="script")
    key = token.key_generate()
    token.save()
    return token, key


@pytest.fixture
def api_client(token) -> Client:
    """A client like a script's: a bearer token, no cookies, CSRF checks on."""
    return Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {token[1]}"})
