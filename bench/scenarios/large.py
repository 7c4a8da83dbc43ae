"""A 100,000-entry batch: created fast, flat in memory, fair to a small batch beside it."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bench.figures import Figure, Report
from bench.pipeline import batch_submit, configure, owner, wait_finished
from bench.timing import rss_mb
from tests.support import WikiProcess

if TYPE_CHECKING:
    from checks.models import Batch


@dataclass
class Watch:
    """What was seen while the large batch ran."""

    peak_rss: float
    peak_futures: int = 0
    # How long a 10-page batch submitted midway took; infinite until it has finished.
    small_seconds: float = math.inf


def run(*, quick: bool) -> list[Figure]:
    """Creation time, memory and futures in flight, and a small batch's wait beside it."""
    from checks.batches import batch_cancel

    count, workers = (20_000 if quick else 100_000), 8
    with WikiProcess(latency_ms=20) as wiki:
        configure(wiki=wiki, workers=workers)
        rss_before = rss_mb()
        batch, create_seconds = _create(wiki=wiki, count=count)
        watch = _watch(wiki=wiki, quick=quick, rss_before=rss_before)
        batch.refresh_from_db()
        done = batch.done
        batch_cancel(batch=batch)
    growth = watch.peak_rss - rss_before
    report = Report(f"large ({count:,} entries, {workers} workers)")
    report.seconds_check("parse, validate and insert", seconds=create_seconds, limit=3, digits=0)
    report.check(
        "RSS growth while it runs",
        value=f"{growth:.0f} MB",
        target="<= 200 MB",
        passed=growth <= 200,
    )
    report.check(
        "futures in flight (peak)",
        value=str(watch.peak_futures),
        target=f"<= {2 * workers}",
        passed=watch.peak_futures <= 2 * workers,
    )
    report.seconds_check(
        "a 10-page batch beside it finished in", seconds=watch.small_seconds, limit=5, digits=0
    )
    report.note("pages of the large batch checked meanwhile", value=f"{done:,}")
    return report.figures


def _create(*, wiki: WikiProcess, count: int) -> tuple[Batch, float]:
    """The batch submitted as the form reads it, from one URL a line; and the seconds it took."""
    from checks.batches import batch_create
    from checks.web.forms import BatchForm

    text = "\n".join(f"{wiki.wiki_url}Page_{n}" for n in range(count))
    started = time.perf_counter()
    form = BatchForm({"urls": text, "wiki": wiki.wiki_url, "mode": "page"})
    assert form.is_valid(), form.errors
    batch = batch_create(
        owner=owner(), entries=form.cleaned_data["entries"], wiki=wiki.wiki_url, mode="page"
    )
    return batch, time.perf_counter() - started


def _watch(*, wiki: WikiProcess, quick: bool, rss_before: float) -> Watch:
    """Sample memory and futures in flight for a while, submitting a small batch midway."""
    from checks.engine.backends import backend

    watch = Watch(peak_rss=rss_before)
    deadline = time.monotonic() + (10 if quick else 30)
    small_from = deadline - (5 if quick else 20)
    while time.monotonic() < deadline:
        watch.peak_rss = max(watch.peak_rss, rss_mb())
        watch.peak_futures = max(watch.peak_futures, backend().futures_in_flight())
        if watch.small_seconds == math.inf and time.monotonic() > small_from:
            started = time.perf_counter()
            titles = [f"Small {n}" for n in range(10)]
            wait_finished(batch_submit(wiki=wiki, titles=titles, mode="page").pk)
            watch.small_seconds = time.perf_counter() - started
        time.sleep(0.05)
    return watch
