"""manage.py reads the settings `scripts/serve.sh` wrote (var/wikicheck.env), under the site's
own settings module only, and a variable already in the environment wins over the file."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import ROOT

# Runs in a fresh interpreter, as `manage.py` starts: load the file given, print the environment.
LOAD_AND_PRINT = (
    "import json, os, sys; from pathlib import Path; import manage; "
    "manage.serve_env_load(Path(sys.argv[1])); print(json.dumps(dict(os.environ)))"
)
DEMO_WIKI = "http://127.0.0.1:8001/wiki/"


@pytest.fixture
def env_file(tmp_path: Path) -> Path:
    path = tmp_path / "wikicheck.env"
    path.write_text(f"# Written by scripts/serve.sh --demo\nWIKICHECK_DEFAULT_WIKI='{DEMO_WIKI}'\n")
    return path


def environment_loaded(env_file: Path, **environment: str) -> dict[str, str]:
    """The environment of a manage.py process started with `environment` once it has read
    `env_file`."""
    done = subprocess.run(
        [sys.executable, "-c", LOAD_AND_PRINT, str(env_file)],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], **environment},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout)


def test_the_file_s_settings_reach_the_site(env_file: Path) -> None:
    environment = environment_loaded(env_file)

    assert environment["WIKICHECK_DEFAULT_WIKI"] == DEMO_WIKI
    assert environment["DJANGO_SETTINGS_MODULE"] == "wikicheck_site.settings"


def test_a_variable_already_set_wins_over_the_file(env_file: Path) -> None:
    environment = environment_loaded(
        env_file, WIKICHECK_DEFAULT_WIKI="https://fr.wikipedia.org/wiki/"
    )

    assert environment["WIKICHECK_DEFAULT_WIKI"] == "https://fr.wikipedia.org/wiki/"


def test_the_test_suite_s_processes_never_read_the_file(env_file: Path) -> None:
    # The suite's server processes inherit DJANGO_SETTINGS_MODULE=tests.settings from pytest.
    environment = environment_loaded(env_file, DJANGO_SETTINGS_MODULE="tests.settings")

    assert "WIKICHECK_DEFAULT_WIKI" not in environment


def test_without_the_file_nothing_is_added(tmp_path: Path) -> None:
    environment = environment_loaded(tmp_path / "absent.env")

    assert "WIKICHECK_DEFAULT_WIKI" not in environment


def test_the_file_and_the_password_are_kept_out_of_git() -> None:
    paths = ["var/wikicheck.env", "var/admin-password"]

    ignored = subprocess.run(
        ["git", "check-ignore", *paths], cwd=ROOT, capture_output=True, text=True, timeout=60
    )

    assert ignored.stdout.split() == paths
