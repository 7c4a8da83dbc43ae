"""wikicheck's benchmark: the real pipeline against the local fake wiki, figures beside targets.

Every figure comes from this one run, and every ratio compares two measurements taken side by
side in it, so the machine's speed matters less than the shape of the result.

    python bench/bench.py            # every scenario
    python bench/bench.py api        # only the named scenarios

It uses a throwaway SQLite database (the default engine) and only loopback addresses.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import requests

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
from checks.batches import batch_cancel, batch_create  # noqa: E402
from checks.fakewiki import free_port  # noqa: E402
from checks.forms import BatchForm  # noqa: E402
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


class RemoteWiki:
    """`manage.py fakewiki` in its own process, so serving costs this process no CPU (a real
    wiki is on another machine); its counters are read over HTTP."""

    def __init__(self, *, latency_ms: int) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.wiki_url = f"{self.url}/wiki/"
        self.process = subprocess.Popen(
            [
                *(sys.executable, "manage.py", "fakewiki"),
                *("--port", str(self.port), "--latency-ms", str(latency_ms)),
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.control = requests.Session()
        deadline = time.monotonic() + 30
        while True:
            try:
                self.reset()
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def reset(self) -> None:
        self.control.post(f"{self.url}/__fakewiki/reset", timeout=10).raise_for_status()

    def stats(self) -> dict:
        return self.control.get(f"{self.url}/__fakewiki/stats", timeout=10).json()

    def __enter__(self) -> "RemoteWiki":
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def configure(*, wiki: RemoteWiki, workers: int, host_cap: int = 0, api: bool = False) -> None:
    """Point the app at the fake wiki, with a fresh pool of `workers` threads."""
    host = f"127.0.0.1:{wiki.port}"
    settings.WIKICHECK_ALLOWED_HOSTS = [host]
    settings.WIKICHECK_API_PATHS = [(host, "/w/api.php")] if api else []
    settings.WIKICHECK_HOST_CONCURRENCY = [(host, host_cap)] if host_cap else []
    settings.WIKICHECK_MAX_WORKERS = workers
    settings.WIKICHECK_MAX_BATCH = 100_000
    runner.executor_shutdown(wait=True, final=False)


def entries_for(wiki: RemoteWiki, titles: list[str]) -> list[Entry]:
    return [Entry(url=f"{wiki.wiki_url}{t.replace(' ', '_')}", title=t) for t in titles]


def owner():
    return get_user_model().objects.get_or_create(username="bench")[0]


def wait_finished(batch: Batch) -> None:
    while not Batch.objects.filter(pk=batch.pk, status=Batch.Status.FINISHED).exists():
        time.sleep(0.02)


def run_batch(*, wiki: RemoteWiki, titles: list[str], mode: str) -> tuple[Batch, float]:
    """Submit through batch_create (what the view calls) and wait until the batch is finished."""
    entries = entries_for(wiki, titles)
    started = time.perf_counter()
    batch = batch_create(owner=owner(), entries=entries, wiki=wiki.wiki_url, mode=mode)
    wait_finished(batch)
    elapsed = time.perf_counter() - started
    batch.refresh_from_db()
    return batch, elapsed


def outcomes(batch: Batch) -> dict[str, str]:
    return dict(batch.results.values_list("title", "status"))


def threaded(work: Callable[[int], object], count: int, *, workers: int | None) -> float:
    """Wall time of `work(n)` for every n on a plain ThreadPoolExecutor."""
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(work, range(count)))
    return time.perf_counter() - started


class DatabaseTime:
    """Time the workers spend claiming and storing rows, against all their time."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._lock = threading.Lock()
        self._originals = (runner.results_claim, runner.results_record)

    def __enter__(self) -> "DatabaseTime":
        runner.results_claim = self._timed(runner.results_claim)
        runner.results_record = self._timed(runner.results_record)
        return self

    def __exit__(self, *exc: object) -> None:
        runner.results_claim, runner.results_record = self._originals

    def _timed(self, function):
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                with self._lock:
                    self.seconds += time.perf_counter() - started

        return timed


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


# --- Scenarios -----------------------------------------------------------------------------------


def scenario_latency(quick: bool) -> list[Figure]:
    """Latency-bound: N pages at latency L on W workers cannot beat N*L/W."""
    count, latency, workers = (300 if quick else 1000), 100, 32
    titles = [f"Page {n}" for n in range(count)]
    with RemoteWiki(latency_ms=latency) as wiki:
        configure(wiki=wiki, workers=workers)
        _, seconds = run_batch(wiki=wiki, titles=titles, mode="page")
        connections = wiki.stats()["connections_total"]
        # The classic tutorial: requests.get per URL on a default ThreadPoolExecutor.
        seed_seconds = threaded(
            lambda n: requests.get(f"{wiki.wiki_url}Page_{n}", timeout=10), count, workers=None
        )
    bound = count * latency / 1000 / workers
    name = f"latency ({count} pages, {latency} ms, {workers} workers)"
    return [
        Figure(name, "lower bound N*L/W", f"{bound:.2f} s", "", None),
        Figure(
            name,
            "wikicheck wall time",
            f"{seconds:.2f} s",
            f"<= {1.15 * bound:.2f} s",
            seconds <= 1.15 * bound,
        ),
        Figure(name, "seed script (requests.get, default pool)", f"{seed_seconds:.2f} s", "", None),
        Figure(
            name,
            "wikicheck speed-up over the seed script",
            f"{seed_seconds / seconds:.1f}x",
            "",
            None,
        ),
        Figure(
            name,
            "new connections per check",
            f"{connections / count:.3f}",
            "<= 0.05",
            connections / count <= 0.05,
        ),
    ]


def scenario_cpu(quick: bool) -> list[Figure]:
    """CPU-bound: no latency, so the pipeline's own cost shows against a bare loop."""
    count, workers = (1000 if quick else 5000), 8
    titles = [f"Page {n}" for n in range(count)]
    local = threading.local()

    def bare(n: int) -> int:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        return local.session.head(f"{wiki.wiki_url}Page_{n}", timeout=10).status_code

    with RemoteWiki(latency_ms=0) as wiki:
        configure(wiki=wiki, workers=workers)
        bare_seconds = threaded(bare, count, workers=workers)
        wiki.reset()
        with DatabaseTime() as database:
            _, seconds = run_batch(wiki=wiki, titles=titles, mode="page")
        connections = wiki.stats()["connections_total"]
    ratio = bare_seconds / seconds
    share = database.seconds / (seconds * workers)
    name = f"cpu ({count} pages, 0 ms, {workers} workers)"
    return [
        Figure(name, "bare threads + Session", f"{count / bare_seconds:.0f} pages/s", "", None),
        Figure(name, "wikicheck pipeline", f"{count / seconds:.0f} pages/s", "", None),
        Figure(name, "pipeline / bare throughput", f"{ratio:.2f}", ">= 0.60", ratio >= 0.6),
        Figure(name, "worker time in the database", f"{share:.1%}", "", None),
        Figure(
            name,
            "new connections per check",
            f"{connections / count:.3f}",
            "<= 0.05",
            connections / count <= 0.05,
        ),
    ]


def scenario_api(quick: bool) -> list[Figure]:
    """API mode against page mode: 1,000 titles, 100 ms latency, 3 requests per host at once."""
    count, latency, cap = (200 if quick else 1000), 100, 3
    titles = [f"Missing page {n}" if n % 10 == 0 else f"Page {n}" for n in range(count)]
    with RemoteWiki(latency_ms=latency) as wiki:
        configure(wiki=wiki, workers=8, host_cap=cap, api=False)
        page_batch, page_seconds = run_batch(wiki=wiki, titles=titles, mode="page")
        page_peak = wiki.stats()["peak_concurrency"]
        wiki.reset()
        configure(wiki=wiki, workers=8, host_cap=cap, api=True)
        api_batch, api_seconds = run_batch(wiki=wiki, titles=titles, mode="api")
        stats = wiki.stats()
    api_requests, api_peak = stats["api_requests"], stats["peak_concurrency"]
    speedup = page_seconds / api_seconds
    most_requests = -(-count // 50) + 1
    same = outcomes(page_batch) == outcomes(api_batch)
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
        Figure(name, "identical results in both modes", str(same), "True", same),
    ]


def scenario_large(quick: bool) -> list[Figure]:
    """A 100,000-entry batch: created fast, flat in memory, fair to a small batch beside it."""
    count, workers = (20_000 if quick else 100_000), 8
    with RemoteWiki(latency_ms=20) as wiki:
        configure(wiki=wiki, workers=workers)
        text = "\n".join(f"{wiki.wiki_url}Page_{n}" for n in range(count))
        rss_before = rss_mb()
        started = time.perf_counter()
        form = BatchForm({"urls": text, "wiki": wiki.wiki_url, "mode": "page"})
        assert form.is_valid(), form.errors
        batch = batch_create(
            owner=owner(), entries=form.cleaned_data["entries"], wiki=wiki.wiki_url, mode="page"
        )
        create_seconds = time.perf_counter() - started
        del form, text
        peak_rss, peak_futures = rss_before, 0
        small_seconds = None
        deadline = time.monotonic() + (10 if quick else 30)
        while time.monotonic() < deadline:
            peak_rss = max(peak_rss, rss_mb())
            peak_futures = max(peak_futures, runner.futures_in_flight())
            if small_seconds is None and time.monotonic() > deadline - (5 if quick else 20):
                small_started = time.perf_counter()
                small = batch_create(
                    owner=owner(),
                    entries=entries_for(wiki, [f"Small {n}" for n in range(10)]),
                    wiki=wiki.wiki_url,
                    mode="page",
                )
                wait_finished(small)
                small_seconds = time.perf_counter() - small_started
            time.sleep(0.05)
        batch.refresh_from_db()
        done = batch.done
        batch_cancel(batch=batch)
    growth = peak_rss - rss_before
    name = f"large ({count:,} entries, {workers} workers)"
    return [
        Figure(
            name,
            "parse, validate and insert",
            f"{create_seconds:.2f} s",
            "<= 3 s",
            create_seconds <= 3,
        ),
        Figure(name, "RSS growth while it runs", f"{growth:.0f} MB", "<= 200 MB", growth <= 200),
        Figure(
            name,
            "futures in flight (peak)",
            str(peak_futures),
            f"<= {4 * workers}",
            peak_futures <= 4 * workers,
        ),
        Figure(
            name,
            "a 10-page batch beside it finished in",
            f"{small_seconds:.2f} s",
            "<= 5 s",
            small_seconds is not None and small_seconds <= 5,
        ),
        Figure(name, "pages of the large batch checked meanwhile", f"{done:,}", "", None),
    ]


SCENARIOS: dict[str, Callable[[bool], list[Figure]]] = {
    "latency": scenario_latency,
    "cpu": scenario_cpu,
    "api": scenario_api,
    "large": scenario_large,
}


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
