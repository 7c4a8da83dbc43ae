"""Settings for the test run and the server processes tests start: the same, except that
passwords are hashed with a fast hasher (the production one costs most of the suite's time in
user fixtures and logins), and that the test process itself keeps no idle-in-transaction limit."""

import sys

from wikicheck_site.settings import *  # noqa: F403
from wikicheck_site.settings import DATABASES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

if "pytest" in sys.modules:
    # Most tests run inside one transaction, idle while Python builds a large fixture: the limit
    # that ends a frozen process's session would end such a test on a loaded machine. The
    # servers tests start keep it (test_heartbeats.py); test_registry.py sets it on the session
    # it freezes, and test_settings.py checks that production sets it.
    DATABASES["default"].get("OPTIONS", {}).pop("options", None)
