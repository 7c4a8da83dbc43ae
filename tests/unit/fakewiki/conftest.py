"""Fixtures for the fake wiki's tests; the `wiki` fixture itself is in tests/conftest.py."""

from collections.abc import Iterator

import pytest
import requests


@pytest.fixture
def session() -> Iterator[requests.Session]:
    """One client keeping its connection alive between requests, as wikicheck's workers do."""
    with requests.Session() as client:
        yield client
