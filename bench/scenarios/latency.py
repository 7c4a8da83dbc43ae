"""Latency-bound: N pages at latency L on W workers cannot beat N*L/W."""

import requests

from bench.figures import Figure, Report
from bench.pipeline import configure, connections_check, run_batch
from bench.timing import threaded
from tests.support import WikiProcess


def run(*, quick: bool) -> list[Figure]:
    """The pipeline's wall time against the lower bound and against the seed script."""
    count, latency, workers = (300 if quick else 1000), 100, 32
    titles = [f"Page {n}" for n in range(count)]
    with WikiProcess(latency_ms=latency) as wiki:
        configure(wiki=wiki, workers=workers)
        _, seconds = run_batch(wiki=wiki, titles=titles, mode="page")
        connections = wiki.stats()["connections_total"]
        # The classic tutorial: requests.get per URL on a default ThreadPoolExecutor.
        seed_seconds = threaded(
            lambda n: requests.get(f"{wiki.wiki_url}Page_{n}", timeout=10), count, workers=None
        )
    bound = count * latency / 1000 / workers
    report = Report(f"latency ({count} pages, {latency} ms, {workers} workers)")
    report.note("lower bound N*L/W", value=f"{bound:.2f} s")
    report.seconds_check("wikicheck wall time", seconds=seconds, limit=1.15 * bound)
    report.note("seed script (requests.get, default pool)", value=f"{seed_seconds:.2f} s")
    report.note("wikicheck speed-up over the seed script", value=f"{seed_seconds / seconds:.1f}x")
    connections_check(report, connections=connections, checks=count)
    return report.figures
