"""The test settings with the test URLconf (tests/error_urls.py), for server processes that
must show what happens when a view fails."""

from tests.settings import *  # noqa: F403

ROOT_URLCONF = "tests.error_urls"
