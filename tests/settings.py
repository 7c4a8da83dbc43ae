"""The site's settings for the test run and the server processes tests start: the same, except
that passwords are hashed with a fast hasher (the production one costs most of the suite's time
in user fixtures and logins)."""

from wikicheck_site.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
