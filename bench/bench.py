"""wikicheck's benchmark: the real pipeline against the local fake wiki, figures beside targets.

Every figure comes from this one run, and every ratio compares two measurements taken side by
side in it, so the machine's speed matters less than the shape of the result.

    python bench/bench.py            # every scenario
    python bench/bench.py api        # only the named scenarios

It uses a throwaway SQLite database (the default engine) and only loopback addresses.
"""

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORKDIR = Path(tempfile.mkdtemp(prefix="wikicheck-bench-"))
os.environ["DATABASE_URL"] = f"sqlite:///{WORKDIR / 'bench.sqlite3'}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wikicheck_site.settings")
os.environ.setdefault("LOG_LEVEL", "ERROR")

import django  # noqa: E402 (the environment above must be set first)

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402

from checks import runner  # noqa: E402
from checks.batches import batch_create  # noqa: E402
from checks.fakewiki import FakeWiki  # noqa: E402
from checks.models import Batch  # noqa: E402
from checks.parsing import Entry  # noqa: E402


@dataclass
class Figure:
    scenario: str
    name: str
    value: str
    target: str
    passed: bool | None  # None: a figure reported for context, with no target


# --- Helpers -------------------------------------------------------------------------------------


def configure(*, wiki: FakeWiki, workers: int, host_cap: int, api: bool) -> None:
    """Point the app at the fake wiki, with a fresh pool of `workers` threads."""
    host = f"127.0.0.1:{wiki.port}"
    settings.WIKICHECK_ALLOWED_HOSTS = [host]
    settings.WIKICHECK_API_PATHS = [(host, "/w/api.php")] if api else []
    settings.WIKICHECK_HOST_CONCURRENCY = [(host, host_cap)] if host_cap else []
    settings.WIKICHECK_MAX_WORKERS = workers
    runner.executor_shutdown(wait=True, final=False)


def run_batch(*, wiki: FakeWiki, titles: list[str], mode: str) -> tuple[Batch, float]:
    """Submit through batch_create (what the view calls) and wait until the batch is finished."""
    owner, _ = get_user_model().objects.get_or_create(username="bench")
    entries = [Entry(url=f"{wiki.wiki_url}{t.replace(' ', '_')}", title=t) for t in titles]
    started = time.perf_counter()
    batch = batch_create(owner=owner, entries=entries, wiki=wiki.wiki_url, mode=mode)
    while not Batch.objects.filter(pk=batch.pk, status=Batch.Status.FINISHED).exists():
        time.sleep(0.02)
    elapsed = time.perf_counter() - started
    batch.refresh_from_db()
    return batch, elapsed


def outcomes(batch: Batch) -> dict[str, str]:
    return dict(batch.results.values_list("title", "status"))


# --- Scenarios -----------------------------------------------------------------------------------


def scenario_api(quick: bool) -> list[Figure]:
    """API mode against page mode: 1,000 titles, 100 ms latency, 3 requests per host at once."""
    count, latency, cap = (200 if quick else 1000), 100, 3
    titles = [f"Missing page {n}" if n % 10 == 0 else f"Page {n}" for n in range(count)]
    with FakeWiki(latency_ms=latency) as wiki:
        configure(wiki=wiki, workers=8, host_cap=cap, api=False)
        page_batch, page_seconds = run_batch(wiki=wiki, titles=titles, mode="page")
        page_peak = wiki.peak_concurrency
        wiki.reset()
        configure(wiki=wiki, workers=8, host_cap=cap, api=True)
        api_batch, api_seconds = run_batch(wiki=wiki, titles=titles, mode="api")
        api_requests, api_peak = wiki.api_requests, wiki.peak_concurrency
    speedup = page_seconds / api_seconds
    most_requests = -(-count // 50) + 1
    name = f"api ({count} titles, {latency} ms, cap {cap})"
    return [
        Figure(name, "page mode wall time", f"{page_seconds:.2f} s", "", None),
        Figure(name, "API mode wall time", f"{api_seconds:.2f} s", "", None),
        Figure(name, "API speed-up over page mode", f"{speedup:.1f}x", ">= 40x", speedup >= 40),
        Figure(
            name,
            "API requests",
            str(api_requests),
            f"<= {most_requests}",
            api_requests <= most_requests,
        ),
        Figure(
            name,
            "peak concurrent requests (page / API)",
            f"{page_peak} / {api_peak}",
            f"<= {cap}",
            max(page_peak, api_peak) <= cap,
        ),
        Figure(
            name,
            "identical results in both modes",
            str(outcomes(page_batch) == outcomes(api_batch)),
            "True",
            outcomes(page_batch) == outcomes(api_batch),
        ),
    ]


SCENARIOS: dict[str, Callable[[bool], list[Figure]]] = {"api": scenario_api}


# --- Report --------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", metavar="scenario", help=", ".join(SCENARIOS))
    parser.add_argument("--quick", action="store_true", help="smaller batches, for a smoke run")
    arguments = parser.parse_args()
    call_command("migrate", verbosity=0)
    figures: list[Figure] = []
    unknown = set(arguments.scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    for name in arguments.scenarios or SCENARIOS:
        figures += SCENARIOS[name](arguments.quick)
    runner.executor_shutdown(wait=True)
    print(f"wikicheck benchmark on {os.cpu_count()} cores, SQLite, fake wiki on 127.0.0.1\n")
    print("| scenario | figure | value | target | result |\n|---|---|---|---|---|")
    for figure in figures:
        verdict = {True: "PASS", False: "FAIL", None: ""}[figure.passed]
        cells = [figure.scenario, figure.name, figure.value, figure.target, verdict]
        print("| " + " | ".join(cells) + " |")
    return 1 if any(figure.passed is False for figure in figures) else 0


if __name__ == "__main__":
    sys.exit(main())
