"""The benchmark's surroundings: its scratch folder, the database and Redis it uses, Django."""

import functools
import os
import tempfile
from pathlib import Path

import django
from django.core.management import call_command


@functools.cache
def workdir() -> Path:
    """This run's scratch folder: the SQLite database and the servers' logs."""
    return Path(tempfile.mkdtemp(prefix="wikicheck-bench-"))


def redis_url() -> str:
    """The Redis server of the celery scenario, or "" when none was given."""
    return os.environ.get("WIKICHECK_BENCH_REDIS_URL", "")


def django_start() -> None:
    """Set Django up on the benchmark's database, migrated; the servers it starts inherit it."""
    os.environ["DATABASE_URL"] = os.environ.get("WIKICHECK_BENCH_DATABASE_URL") or (
        f"sqlite:///{workdir() / 'bench.sqlite3'}"
    )
    if redis_url():
        # Celery reads its broker from here before the settings, so this process publishes there.
        os.environ["CELERY_BROKER_URL"] = redis_url()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wikicheck_site.settings")
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    django.setup()
    call_command("migrate", verbosity=0)
