"""The production settings (wikicheck_site/settings.py) as a server process reads them from its
environment, in a fresh interpreter."""

import json
import os
import subprocess
import sys

import pytest

from tests.support import ROOT

PRINT_OPTIONS = (
    "import json; from wikicheck_site import settings; "
    "print(json.dumps(settings.DATABASES['default'].get('OPTIONS', {})))"
)


def database_options(**environment: str) -> dict:
    env = {**os.environ, **environment}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run(
        [sys.executable, "-c", PRINT_OPTIONS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout)


@pytest.mark.parametrize(("timeout", "limit_ms"), [("20", 10000), ("60", 30000)])
def test_a_postgresql_session_idle_in_a_transaction_is_ended_after_half_the_heartbeat_timeout(
    timeout, limit_ms
):
    options = database_options(
        DATABASE_URL="postgres://user:secret@127.0.0.1:5432/wikicheck",
        WIKICHECK_HEARTBEAT_TIMEOUT=timeout,
    )

    assert options["options"] == f"-c idle_in_transaction_session_timeout={limit_ms}"


def test_sqlite_gets_no_such_option():
    options = database_options(DATABASE_URL="sqlite:///db.sqlite3")

    assert "options" not in options
