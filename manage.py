#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys
from pathlib import Path

from dotenv import load_dotenv

SITE_SETTINGS = "wikicheck_site.settings"
# The settings `scripts/serve.sh` last ran the site with (the demo's fake wiki, its port), so
# that a command in another terminal talks to the same wiki.
SERVE_ENV_FILE = Path(__file__).resolve().parent / "var" / "wikicheck.env"


def serve_env_load(path: Path = SERVE_ENV_FILE) -> None:
    """Read serve.sh's settings into the environment, where a variable already set wins; only
    for the site's own settings module, so that the processes the test suite starts (with
    tests.settings) never see a developer's demo."""
    if os.environ.setdefault("DJANGO_SETTINGS_MODULE", SITE_SETTINGS) == SITE_SETTINGS:
        load_dotenv(path, override=False)


def main() -> None:
    serve_env_load()
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
