"""The app as the benchmark drives it: settings pointed at the fake wiki, batches submitted
through batch_create (what the view calls) and waited for."""

# The app's modules are imported inside the functions: they need Django set up, which
# `python -m bench` does first.

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model

from bench.figures import Report
from checks import conf
from checks.intake.parsing import Entry
from tests.support import WikiProcess

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from checks.models import Batch


def configure(*, wiki: WikiProcess, workers: int, host_cap: int = 0, api: bool = False) -> None:
    """Point the app at the fake wiki; the next batch starts a fresh pool of `workers` threads."""
    from checks.engine.backends import backend

    backend().shutdown(wait=True)
    host = f"127.0.0.1:{wiki.port}"
    settings.WIKICHECK_ALLOWED_HOSTS = [host]
    settings.WIKICHECK_API_PATHS = [(host, "/w/api.php")] if api else []
    settings.WIKICHECK_HOST_CONCURRENCY = [(host, host_cap)] if host_cap else []
    settings.WIKICHECK_MAX_WORKERS = workers
    settings.WIKICHECK_MAX_BATCH = 100_000
    # As production runs: no query log (DEBUG keeps every statement and its SQL text).
    settings.DEBUG = False
    # One user submits every batch of the benchmark, the 100,000-page one included.
    settings.WIKICHECK_USER_MAX_PENDING = settings.WIKICHECK_USER_BATCHES_PER_HOUR = 0
    # The app reads its settings once; outside tests nothing tells it they changed.
    conf.current.cache_clear()


def owner() -> User:
    """The user who submits the benchmark's batches."""
    return get_user_model().objects.get_or_create(username="bench")[0]


def batch_submit(*, wiki: WikiProcess, titles: list[str], mode: str) -> Batch:
    """A batch of pages of the fake wiki, submitted as the form does."""
    from checks.batches import batch_create

    entries = [Entry(url=f"{wiki.wiki_url}{t.replace(' ', '_')}", title=t) for t in titles]
    return batch_create(owner=owner(), entries=entries, wiki=wiki.wiki_url, mode=mode)


def wait_finished(batch_id: uuid.UUID | str) -> None:
    """Return once the batch is finished, however long that takes: its time is the figure.

    Read every 20 ms with one plain statement: the ORM's query took 7% of the pipeline's CPU at
    0 ms latency.
    """
    from django.db import connection

    from checks.models import Batch

    table = connection.ops.quote_name(Batch._meta.db_table)
    sql = f"SELECT 1 FROM {table} WHERE id = %s AND status = %s"
    params = [Batch._meta.pk.get_db_prep_value(batch_id, connection), Batch.Status.FINISHED.value]
    while True:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            if cursor.fetchone():
                return
        time.sleep(0.02)


def run_batch(*, wiki: WikiProcess, titles: list[str], mode: str) -> tuple[Batch, float]:
    """Submit a batch and wait until it is finished; the batch and the seconds it took."""
    started = time.perf_counter()
    batch = batch_submit(wiki=wiki, titles=titles, mode=mode)
    wait_finished(batch.pk)
    elapsed = time.perf_counter() - started
    batch.refresh_from_db()
    return batch, elapsed


def outcomes(batch: Batch) -> dict[str, str]:
    """Each title of the batch and the status it was given."""
    return dict(batch.results.values_list("title", "status"))


def connections_check(report: Report, *, connections: int, checks: int) -> None:
    """Connections the fake wiki accepted per page checked: kept-alive sessions make few."""
    per_check = connections / checks
    report.check(
        "new connections per check",
        value=f"{per_check:.3f}",
        target="<= 0.05",
        passed=per_check <= 0.05,
    )
