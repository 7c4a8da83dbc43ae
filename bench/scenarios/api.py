"""API mode against page mode: the same titles checked both ways, at most 3 requests at once."""

from bench.figures import Figure, Report
from bench.pipeline import configure, outcomes, run_batch
from checks.probe.mediawiki import TITLES_PER_REQUEST
from tests.support import WikiProcess


def run(*, quick: bool) -> list[Figure]:
    """Wall time, requests and peak concurrency of each mode, and whether they agree."""
    count, latency, cap = (200 if quick else 1000), 100, 3
    titles = [f"Missing page {n}" if n % 10 == 0 else f"Page {n}" for n in range(count)]
    with WikiProcess(latency_ms=latency) as wiki:
        configure(wiki=wiki, workers=8, host_cap=cap, api=False)
        page_batch, page_seconds = run_batch(wiki=wiki, titles=titles, mode="page")
        page_peak = wiki.stats()["peak_concurrency"]
        wiki.reset()
        configure(wiki=wiki, workers=8, host_cap=cap, api=True)
        api_batch, api_seconds = run_batch(wiki=wiki, titles=titles, mode="api")
        stats = wiki.stats()
    api_requests, api_peak = stats["api_requests"], stats["peak_concurrency"]
    speedup = page_seconds / api_seconds
    most_requests = -(-count // TITLES_PER_REQUEST) + 1
    same = outcomes(page_batch) == outcomes(api_batch)
    report = Report(f"api ({count} titles, {latency} ms, cap {cap})")
    report.note("page mode wall time", value=f"{page_seconds:.2f} s")
    report.note("API mode wall time", value=f"{api_seconds:.2f} s")
    report.check(
        "API speed-up over page mode",
        value=f"{speedup:.1f}x",
        target=">= 40x",
        passed=speedup >= 40,
    )
    report.check(
        "API requests",
        value=str(api_requests),
        target=f"<= {most_requests}",
        passed=api_requests <= most_requests,
    )
    report.check(
        "peak concurrent requests (page / API)",
        value=f"{page_peak} / {api_peak}",
        target=f"<= {cap}",
        passed=max(page_peak, api_peak) <= cap,
    )
    report.truth_check("identical results in both modes", holds=same)
    return report.figures
