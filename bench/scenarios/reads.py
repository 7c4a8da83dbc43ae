"""What the pages cost on a 100,000-result batch and a history of 10,000 batches."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import F
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bench.figures import Figure, Report

if TYPE_CHECKING:
    from checks.models import Batch

WIKI = "https://en.wikipedia.org/wiki/"


def run(*, quick: bool) -> list[Figure]:
    """Queries, rows and p95 of the progress fragment, the batch page, history and admin."""
    results, batches = (20_000, 2_000) if quick else (100_000, 10_000)
    user = get_user_model().objects.create_user(username=f"reader-{time.time_ns()}")
    staff = get_user_model().objects.create_superuser(username=f"staff-{time.time_ns()}")
    big = _big_batch(owner=user, results=results)
    _history(owner=user, batches=batches)
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client, admin = Client(), Client()
    client.force_login(user)
    admin.force_login(staff)
    pages = -(-results // 100)
    report = Report(f"reads ({results:,} results, {batches:,} batches)")
    progress = reverse("batch_progress", args=[big.pk])
    p95, queries, rows = measure(
        lambda n: f"{progress}?page={n * 7919 % pages + 1}&after=0", client=client, htmx=True
    )
    report.check(
        "progress fragment, queries", value=str(queries), target="<= 4", passed=queries <= 4
    )
    report.check(
        "progress fragment, p95", value=f"{p95:.1f} ms", target="<= 30 ms", passed=p95 <= 30
    )
    report.check(
        "result rows in one poll (most)", value=str(rows), target="<= 100", passed=rows <= 100
    )
    p95, _, _ = measure(
        lambda n: f"{big.get_absolute_url()}?page={n * 7919 % pages + 1}", client=client
    )
    report.note("batch page (a page of 100 results), p95", value=f"{p95:.1f} ms")
    _history_figures(report, client=client, batches=batches)
    _admin_figures(report, client=admin, big=big)
    return report.figures


def _big_batch(*, owner, results: int) -> Batch:
    """A finished batch of `results` rows, every page found."""
    from checks.engine.workqueue import results_insert
    from checks.models import Batch, Result

    big = Batch.objects.create(owner=owner, wiki=WIKI, total=results)
    results_insert(batch_id=big.pk, rows=((f"{WIKI}P_{n}", f"P {n}", "") for n in range(results)))
    Result.objects.filter(batch=big).update(status="exists", completion_order=F("position") + 1)
    Batch.objects.filter(pk=big.pk).update(status="finished", done=results, exists_count=results)
    return big


def _history(*, owner, batches: int) -> None:
    """`batches` finished one-page batches: finished, as a history is, since a running batch
    with no pending row to show for it would have every claim look for its rows."""
    from checks.models import Batch

    Batch.objects.bulk_create(
        Batch(owner=owner, wiki=WIKI, total=1, status="finished") for _ in range(batches)
    )


def _history_figures(report: Report, *, client: Client, batches: int) -> None:
    history_pages = -(-(batches + 1) // 25)
    p95, queries, _ = measure(
        lambda n: f"{reverse('batch_list')}?page={n * 7919 % history_pages + 1}", client=client
    )
    report.check("history, p95", value=f"{p95:.1f} ms", target="<= 50 ms", passed=p95 <= 50)
    report.note("history, queries", value=str(queries))


def _admin_figures(report: Report, *, client: Client, big: Batch) -> None:
    results_url = f"{reverse('admin:checks_result_changelist')}?batch__id__exact={big.pk}"
    _, batch_queries, _ = measure(
        lambda n: reverse("admin:checks_batch_changelist"), client=client, count=5
    )
    _, result_queries, _ = measure(lambda n: results_url, client=client, count=5)
    report.check(
        "admin changelists, queries (batches / results)",
        value=f"{batch_queries} / {result_queries}",
        target="<= 10",
        passed=max(batch_queries, result_queries) <= 10,
    )


def measure(
    make_url: Callable[[int], str], *, client: Client, htmx: bool = False, count: int = 60
) -> tuple[float, int, int]:
    """p95 in ms, most queries and most result rows over `count` requests."""
    timings, queries, rows = [], 0, 0
    headers = {"HX-Request": "true"} if htmx else {}
    for n in range(count):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(make_url(n), headers=headers)
            timings.append(time.perf_counter() - started)
        assert response.status_code in (200, 286), response.status_code
        queries = max(queries, len(captured.captured_queries))
        # Each result row carries its completion order (batch_detail.html#result_rows).
        rows = max(rows, response.content.count(b"<tr data-completed="))
    timings.sort()
    return timings[int(len(timings) * 0.95) - 1] * 1000, queries, rows
