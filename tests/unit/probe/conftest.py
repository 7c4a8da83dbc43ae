"""The probe tests' shared session."""

import pytest

from checks.probe.session import WikiSession


@pytest.fixture
def session():
    """A session allowed to reach local test servers on any port, and nothing else."""
    with WikiSession(
        user_agent="wikicheck-test", allowed_hosts=["127.0.0.1:*", "localhost:*"]
    ) as session:
        yield session
