"""CPU-bound: no latency, so the pipeline's own cost shows against a bare loop."""

import threading

import requests

from bench.figures import Figure, Report
from bench.pipeline import configure, connections_check, run_batch
from bench.timing import Timed, threaded
from tests.support import WikiProcess


def run(*, quick: bool) -> list[Figure]:
    """Pages per second of the pipeline against bare threads sharing a Session each."""
    from checks.engine import writer
    from checks.engine.backends import threads

    count, workers = (1000 if quick else 5000), 8
    titles = [f"Page {n}" for n in range(count)]
    local = threading.local()

    def bare(n: int) -> int:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        return local.session.head(f"{wiki.wiki_url}Page_{n}", timeout=10).status_code

    with WikiProcess(latency_ms=0) as wiki:
        configure(wiki=wiki, workers=workers)
        bare_seconds = threaded(bare, count, workers=workers)
        wiki.reset()
        with (
            Timed(threads, "results_claim") as claiming,
            Timed(writer, "results_record") as storing,
            Timed(threads, "unit_check") as checking,
        ):
            _, seconds = run_batch(wiki=wiki, titles=titles, mode="page")
        connections = wiki.stats()["connections_total"]
    report = Report(f"cpu ({count} pages, 0 ms, {workers} workers)")
    report.note("bare threads + Session", value=f"{count / bare_seconds:.0f} pages/s")
    report.note("wikicheck pipeline", value=f"{count / seconds:.0f} pages/s")
    ratio = bare_seconds / seconds
    report.check(
        "pipeline / bare throughput", value=f"{ratio:.2f}", target=">= 0.90", passed=ratio >= 0.9
    )
    report.note(
        "feeder thread busy claiming", value=f"{claiming.seconds / seconds:.0%} of the time"
    )
    report.note("writer thread busy storing", value=f"{storing.seconds / seconds:.0%} of the time")
    waiting = 1 - checking.seconds / (seconds * workers)
    report.note("worker time not checking (waiting for work)", value=f"{waiting:.0%}")
    connections_check(report, connections=connections, checks=count)
    return report.figures
