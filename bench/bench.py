"""wikicheck's benchmark: the real pipeline against the local fake wiki, figures beside targets.

Every figure comes from this one run, and every ratio compares two measurements taken side by
side in it, so the machine's speed matters less than the shape of the result.

    python bench/bench.py            # every scenario
    python bench/bench.py api        # only the named scenarios

It uses a throwaway SQLite database (the default engine), or the database that
WIKICHECK_BENCH_DATABASE_URL names, and only loopback addresses. The celery scenario needs
PostgreSQL there and a Redis server at WIKICHECK_BENCH_REDIS_URL; scripts/bench.sh provides both.
"""

import argparse
import html
import os
import queue
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORKDIR = Path(tempfile.mkdtemp(prefix="wikicheck-bench-"))
os.environ["DATABASE_URL"] = os.environ.get("WIKICHECK_BENCH_DATABASE_URL") or (
    f"sqlite:///{WORKDIR / 'bench.sqlite3'}"
)
REDIS_URL = os.environ.get("WIKICHECK_BENCH_REDIS_URL", "")
if REDIS_URL:
    # Celery reads its broker from here before the settings, so this process publishes there.
    os.environ["CELERY_BROKER_URL"] = REDIS_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wikicheck_site.settings")
os.environ.setdefault("LOG_LEVEL", "ERROR")

import django  # noqa: E402 (the environment above must be set first)

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.paginator import Paginator  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import F  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.crypto import get_random_string  # noqa: E402

from checks import feeder, runner  # noqa: E402
from checks.batches import batch_cancel, batch_create  # noqa: E402
from checks.engine.workqueue import results_insert  # noqa: E402
from checks.intake.parsing import Entry  # noqa: E402
from checks.models import ApiToken, Batch, Result  # noqa: E402
from checks.web.forms import BatchForm  # noqa: E402
from fakewiki.server import free_port  # noqa: E402
from tests.support import results_copy  # noqa: E402


@dataclass
class Figure:
    scenario: str
    name: str
    value: str
    target: str
    passed: bool | None  # None: a figure reported for context, with no target


# --- Helpers -------------------------------------------------------------------------------------


class RemoteWiki:
    """`python -m fakewiki` in its own process, so serving costs this process no CPU (a real
    wiki is on another machine); its counters are read over HTTP."""

    def __init__(self, *, latency_ms: int) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.wiki_url = f"{self.url}/wiki/"
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "fakewiki"),
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


class CeleryWorkers:
    """`celery -A wikicheck_site worker` processes sharing the bench's database and Redis, each
    with `threads` threads, started side by side; ready for tasks once constructed."""

    def __init__(self, *, wiki: RemoteWiki, workers: int, threads: int, host_cap: int) -> None:
        host = f"127.0.0.1:{wiki.port}"
        env = {
            **os.environ,
            "WIKICHECK_BACKEND": "celery",
            "CELERY_BROKER_URL": REDIS_URL,
            "WIKICHECK_MAX_WORKERS": str(threads),
            "WIKICHECK_ALLOWED_HOSTS": host,
            "WIKICHECK_DEFAULT_WIKI": wiki.wiki_url,
            # A cap of 0 is no cap; the cap is kept in Redis, shared by both workers.
            "WIKICHECK_HOST_CONCURRENCY": f"{host}={host_cap}",
        }
        self.logs = [WORKDIR / f"celery-{time.time_ns()}-{n}.log" for n in range(workers)]
        self.processes: list[subprocess.Popen] = []
        for n, log in enumerate(self.logs):
            with log.open("w") as output:
                self.processes.append(
                    subprocess.Popen(
                        [
                            *(sys.executable, "-m", "celery", "-A", "wikicheck_site", "worker"),
                            *("--hostname", f"bench{n}@%h", "--loglevel", "INFO"),
                            *("--without-mingle", "--without-gossip"),
                        ],
                        cwd=ROOT,
                        env=env,
                        stdout=output,
                        stderr=subprocess.STDOUT,
                    )
                )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        for process, log in zip(self.processes, self.logs, strict=True):
            while " ready." not in log.read_text():
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"a Celery worker did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.1)

    def tasks_run(self) -> list[int]:
        """Tasks each worker has run, from its log."""
        return [log.read_text().count(" succeeded in ") for log in self.logs]

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def __enter__(self) -> "CeleryWorkers":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def configure(*, wiki: RemoteWiki, workers: int, host_cap: int = 0, api: bool = False) -> None:
    """Point the app at the fake wiki, with a fresh pool of `workers` threads."""
    host = f"127.0.0.1:{wiki.port}"
    settings.WIKICHECK_ALLOWED_HOSTS = [host]
    settings.WIKICHECK_API_PATHS = [(host, "/w/api.php")] if api else []
    settings.WIKICHECK_HOST_CONCURRENCY = [(host, host_cap)] if host_cap else []
    settings.WIKICHECK_MAX_WORKERS = workers
    settings.WIKICHECK_MAX_BATCH = 100_000
    # One user submits every batch of the benchmark, the 100,000-page one included.
    settings.WIKICHECK_USER_MAX_PENDING = settings.WIKICHECK_USER_BATCHES_PER_HOUR = 0
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


@dataclass
class BackendRun:
    """One batch checked by one backend, and what the fake wiki saw of it."""

    seconds: float
    outcomes: dict[str, str]
    peak_concurrency: int
    most_requests_per_page: int


def backend_run(*, wiki: RemoteWiki, titles: list[str]) -> BackendRun:
    wiki.reset()
    batch, seconds = run_batch(wiki=wiki, titles=titles, mode="page")
    stats = wiki.stats()
    return BackendRun(
        seconds=seconds,
        outcomes=outcomes(batch),
        peak_concurrency=max(stats["peak_concurrency_by_host"].values()),
        most_requests_per_page=max(stats["requests_by_title"].values()),
    )


def backends_compare(
    *, wiki: RemoteWiki, titles: list[str], workers: int, threads: int, host_cap: int
) -> tuple[BackendRun, BackendRun, list[int]]:
    """The same batch on this process's thread pool, then on `workers` Celery workers of
    `threads` threads, as many threads in all; also how many tasks each worker ran."""
    configure(wiki=wiki, workers=workers * threads, host_cap=host_cap)
    pool = backend_run(wiki=wiki, titles=titles)
    # One backend at a time: each sweeps for pending rows it was not given, and would take
    # some of the other's batch.
    runner.executor_shutdown(wait=True, final=False)
    with CeleryWorkers(wiki=wiki, workers=workers, threads=threads, host_cap=host_cap) as cluster:
        settings.WIKICHECK_BACKEND = "celery"
        try:
            celery = backend_run(wiki=wiki, titles=titles)
        finally:
            settings.WIKICHECK_BACKEND = "threads"
    return pool, celery, cluster.tasks_run()


def threaded(work: Callable[[int], object], count: int, *, workers: int | None) -> float:
    """Wall time of `work(n)` for every n on a plain ThreadPoolExecutor."""
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(work, range(count)))
    return time.perf_counter() - started


class Timed:
    """Adds up the time spent in some functions, by any thread, while the block runs."""

    def __init__(self, module, *names: str) -> None:
        self.seconds = 0.0
        self._lock = threading.Lock()
        self._module = module
        self._originals = {name: getattr(module, name) for name in names}

    def __enter__(self) -> "Timed":
        for name, function in self._originals.items():
            setattr(self._module, name, self._timed(function))
        return self

    def __exit__(self, *exc: object) -> None:
        for name, function in self._originals.items():
            setattr(self._module, name, function)

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
        with (
            Timed(feeder, "results_claim", "results_record") as database,
            Timed(runner, "unit_check") as checking,
        ):
            _, seconds = run_batch(wiki=wiki, titles=titles, mode="page")
        connections = wiki.stats()["connections_total"]
    ratio = bare_seconds / seconds
    feeding = database.seconds / seconds
    waiting = 1 - checking.seconds / (seconds * workers)
    name = f"cpu ({count} pages, 0 ms, {workers} workers)"
    return [
        Figure(name, "bare threads + Session", f"{count / bare_seconds:.0f} pages/s", "", None),
        Figure(name, "wikicheck pipeline", f"{count / seconds:.0f} pages/s", "", None),
        Figure(name, "pipeline / bare throughput", f"{ratio:.2f}", ">= 0.60", ratio >= 0.6),
        Figure(name, "feeder thread busy in the database", f"{feeding:.0%} of the time", "", None),
        Figure(name, "worker time not checking (waiting for work)", f"{waiting:.0%}", "", None),
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


def scenario_reads(quick: bool) -> list[Figure]:
    """What the pages cost on a 100,000-result batch and a history of 10,000 batches."""
    results, batches = (20_000, 2_000) if quick else (100_000, 10_000)
    user = get_user_model().objects.create_user(username=f"reader-{time.time_ns()}")
    staff = get_user_model().objects.create_superuser(username=f"staff-{time.time_ns()}")
    big = Batch.objects.create(owner=user, wiki="https://en.wikipedia.org/wiki/", total=results)
    results_insert(
        batch_id=big.pk,
        rows=((f"https://en.wikipedia.org/wiki/P_{n}", f"P {n}", "") for n in range(results)),
    )
    Result.objects.filter(batch=big).update(status="exists", completion_order=F("position") + 1)
    Batch.objects.filter(pk=big.pk).update(status="finished", done=results, exists_count=results)
    # Finished, as a history is: a running batch with no pending row to show for it would have
    # every claim look for its rows.
    Batch.objects.bulk_create(
        Batch(owner=user, wiki="https://en.wikipedia.org/wiki/", total=1, status="finished")
        for _ in range(batches)
    )
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client, admin = Client(), Client()
    client.force_login(user)
    admin.force_login(staff)
    pages = -(-results // 100)

    def measure(make_url: Callable[[int], str], *, as_client=client, htmx=False, count=60):
        """p95 in ms, most queries and most result rows over `count` requests."""
        timings, queries, rows = [], 0, 0
        headers = {"HX-Request": "true"} if htmx else {}
        for n in range(count):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = as_client.get(make_url(n), headers=headers)
                timings.append(time.perf_counter() - started)
            assert response.status_code in (200, 286), response.status_code
            queries = max(queries, len(captured.captured_queries))
            rows = max(rows, response.content.count(b"<tr>"))
        timings.sort()
        return timings[int(len(timings) * 0.95) - 1] * 1000, queries, rows

    progress = reverse("batch_progress", args=[big.pk])
    progress_p95, progress_queries, progress_rows = measure(
        lambda n: f"{progress}?page={n * 7919 % pages + 1}&after=0", htmx=True
    )
    page_p95, _, _ = measure(lambda n: f"{big.get_absolute_url()}?page={n * 7919 % pages + 1}")
    history_pages = -(-(batches + 1) // 25)
    history_p95, history_queries, _ = measure(
        lambda n: f"{reverse('batch_list')}?page={n * 7919 % history_pages + 1}"
    )
    _, batch_admin_queries, _ = measure(
        lambda n: reverse("admin:checks_batch_changelist"), as_client=admin, count=5
    )
    _, result_admin_queries, _ = measure(
        lambda n: f"{reverse('admin:checks_result_changelist')}?batch__id__exact={big.pk}",
        as_client=admin,
        count=5,
    )
    name = f"reads ({results:,} results, {batches:,} batches)"
    return [
        Figure(
            name, "progress fragment, queries", str(progress_queries), "<= 4", progress_queries <= 4
        ),
        Figure(
            name, "progress fragment, p95", f"{progress_p95:.1f} ms", "<= 30 ms", progress_p95 <= 30
        ),
        Figure(
            name,
            "result rows in one poll (most)",
            str(progress_rows),
            "<= 100",
            progress_rows <= 100,
        ),
        Figure(name, "batch page (a page of 100 results), p95", f"{page_p95:.1f} ms", "", None),
        Figure(name, "history, p95", f"{history_p95:.1f} ms", "<= 50 ms", history_p95 <= 50),
        Figure(name, "history, queries", str(history_queries), "", None),
        Figure(
            name,
            "admin changelists, queries (batches / results)",
            f"{batch_admin_queries} / {result_admin_queries}",
            "<= 10",
            max(batch_admin_queries, result_admin_queries) <= 10,
        ),
    ]


def scenario_celery(quick: bool) -> list[Figure]:
    """The thread pool against Celery: one batch, 16 workers either way (one process of 16
    threads, or 2 worker processes of 8), on PostgreSQL; then the same under a per-host cap."""
    # Both backends on PostgreSQL, where Celery workers meet: against SQLite the comparison
    # would measure the database rather than the backend.
    if connection.vendor != "postgresql":
        reason = f"needs PostgreSQL in WIKICHECK_BENCH_DATABASE_URL, not {connection.display_name}"
        return [Figure("celery", "skipped", f"{reason} (scripts/bench.sh sets it up)", "", None)]
    if not REDIS_URL:
        reason = "needs a Redis server in WIKICHECK_BENCH_REDIS_URL"
        return [Figure("celery", "skipped", f"{reason} (scripts/bench.sh starts one)", "", None)]
    # Fewer pages would leave each thread too few chunks of 8 for the ratio to mean much, so
    # --quick only shortens the capped run.
    count, capped_count = 1000, (100 if quick else 300)
    latency, workers, threads, cap = 100, 2, 8, 3
    titles = [f"Missing page {n}" if n % 10 == 0 else f"Page {n}" for n in range(count)]
    with RemoteWiki(latency_ms=latency) as wiki:
        pool, celery, tasks = backends_compare(
            wiki=wiki, titles=titles, workers=workers, threads=threads, host_cap=0
        )
        capped_pool, capped_celery, _ = backends_compare(
            wiki=wiki, titles=titles[:capped_count], workers=workers, threads=threads, host_cap=cap
        )
    bound = count * latency / 1000 / (workers * threads)
    ratio = celery.seconds / pool.seconds
    same = pool.outcomes == celery.outcomes
    most_requests = max(pool.most_requests_per_page, celery.most_requests_per_page)
    name = f"celery ({count} pages, {latency} ms, {workers * threads} workers, no host cap)"
    capped_bound = capped_count * latency / 1000 / cap
    capped_peaks = (capped_pool.peak_concurrency, capped_celery.peak_concurrency)
    capped_same = capped_pool.outcomes == capped_celery.outcomes
    capped_name = f"celery ({capped_count} pages, {latency} ms, host cap {cap})"
    return [
        Figure(name, "lower bound N*L/W", f"{bound:.2f} s", "", None),
        Figure(
            name,
            f"threads backend (1 process x {workers * threads} threads)",
            f"{pool.seconds:.2f} s, {count / pool.seconds:.0f} pages/s",
            "",
            None,
        ),
        Figure(
            name,
            f"Celery backend ({workers} workers x {threads} threads)",
            f"{celery.seconds:.2f} s, {count / celery.seconds:.0f} pages/s",
            "",
            None,
        ),
        # Measured at 1.2x to 1.4x on 2 cores: a Celery worker claims each page in a
        # transaction of its own (the pool's feeder claims eight units a transaction), pays for
        # each task's message, and a chunk of 8 pages leaves a tail of up to 8 latencies. 1.6x
        # is above that noise and still catches Celery falling further behind.
        Figure(name, "Celery / threads wall time", f"{ratio:.2f}x", "<= 1.60x", ratio <= 1.6),
        Figure(
            name,
            "peak concurrent requests (threads / Celery)",
            f"{pool.peak_concurrency} / {celery.peak_concurrency}",
            "",
            None,
        ),
        Figure(name, "tasks run by each Celery worker", " / ".join(map(str, tasks)), "", None),
        Figure(name, "identical outcomes on both backends", str(same), "True", same),
        Figure(name, "most requests for one page", str(most_requests), "1", most_requests == 1),
        Figure(capped_name, "lower bound N*L/cap", f"{capped_bound:.2f} s", "", None),
        Figure(
            capped_name,
            "wall time (threads / Celery)",
            f"{capped_pool.seconds:.2f} s / {capped_celery.seconds:.2f} s",
            "",
            None,
        ),
        Figure(
            capped_name,
            "peak concurrent requests (threads / Celery)",
            " / ".join(map(str, capped_peaks)),
            f"<= {cap}",
            max(capped_peaks) <= cap,
        ),
        Figure(
            capped_name,
            "identical outcomes on both backends",
            str(capped_same),
            "True",
            capped_same,
        ),
    ]


class WebServer:
    """The app under gunicorn as the Procfile runs it (2 processes x 4 threads, DEBUG off), on
    the bench's database, checking pages on `wiki` with its own thread pools."""

    def __init__(self, *, wiki: RemoteWiki) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "DEBUG": "0",
            # The bench's own key, so the sessions it makes here are valid there.
            "SECRET_KEY": settings.SECRET_KEY,
            "SECURE_SSL_REDIRECT": "0",
            "WIKICHECK_ALLOWED_HOSTS": f"127.0.0.1:{wiki.port}",
            "WIKICHECK_DEFAULT_WIKI": wiki.wiki_url,
            # Both processes join a batch within a second, whichever of them it was posted to.
            "WIKICHECK_SWEEP_SECONDS": "1",
        }
        self.log = WORKDIR / f"gunicorn-{self.port}.log"
        with self.log.open("w") as output:
            self.process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "gunicorn", "wikicheck_site.wsgi"),
                    *("--workers", "2", "--threads", "4", "--bind", f"127.0.0.1:{self.port}"),
                ],
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        token = ApiToken(user=owner(), name=f"bench {self.port}")
        self.api = requests.Session()
        self.api.headers["Authorization"] = f"Bearer {token.key_generate()}"
        token.save()
        deadline = time.monotonic() + 60
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.1)

    def _answers(self) -> bool:
        try:
            return self.api.get(f"{self.url}/api/batches/", timeout=5).status_code == 200
        except (requests.ConnectionError, requests.Timeout):
            return False

    def submit(self, titles: list[str], wiki: RemoteWiki) -> str:
        body = {"urls": titles, "wiki": wiki.wiki_url, "mode": "page"}
        response = self.api.post(f"{self.url}/api/batches/", json=body, timeout=60)
        response.raise_for_status()
        return response.json()["id"]

    def __enter__(self) -> "WebServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)


# The polling URL in a progress fragment, as htmx reads it from the section's hx-get.
HX_GET = re.compile(r'<section id="progress"[^>]*hx-get="([^"]+)"')


class Pollers:
    """`count` browsers on a batch page, each with its own session (made beforehand), polling
    its progress fragment as htmx does: every `interval` s, at the URL the last fragment gave,
    until 286."""

    def __init__(self, *, server: WebServer, count: int, interval: float) -> None:
        self.answers: dict[int, int] = {}
        self._server = server
        self._interval = interval
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._sessions = [self._session() for _ in range(count)]
        self._threads: list[threading.Thread] = []

    @staticmethod
    def _session() -> requests.Session:
        """A browser's cookies: its session and its CSRF secret. The server marks both Secure
        (DEBUG off), which requests would not send over this plain-HTTP loopback."""
        client = Client()
        client.force_login(owner())
        session = requests.Session()
        session.cookies.set(settings.SESSION_COOKIE_NAME, client.cookies["sessionid"].value)
        session.cookies.set(settings.CSRF_COOKIE_NAME, get_random_string(32))
        return session

    def start(self, batch_id: str) -> None:
        first = f"{self._server.url}/batches/{batch_id}/progress/?page=1&after=0"
        self._threads = [
            threading.Thread(target=self._poll, args=(session, first)) for session in self._sessions
        ]
        for thread in self._threads:
            thread.start()

    def _poll(self, session: requests.Session, url: str) -> None:
        while not self._stop.is_set():
            response = session.get(url, headers={"HX-Request": "true"}, timeout=60)
            # An answer that read the session varies by cookie; one given before did not.
            early = "Cookie" not in response.headers.get("Vary", "")
            with self._lock:
                self.answers[response.status_code] = self.answers.get(response.status_code, 0) + 1
                self.answers["early"] = self.answers.get("early", 0) + early
            if response.status_code == 286:
                return
            found = HX_GET.search(response.text) if response.status_code == 200 else None
            if found:
                url = self._server.url + html.unescape(found.group(1))
            self._stop.wait(self._interval)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()


def batch_throughput(*, server: WebServer, wiki: RemoteWiki, titles: list[str], pollers: int):
    """Pages per second of one batch posted to the server while `pollers` clients poll it at
    the page's rate (1 s); and the pollers' answers by HTTP status."""
    polling = Pollers(server=server, count=pollers, interval=1.0)
    started = time.perf_counter()
    batch_id = server.submit(titles, wiki)
    polling.start(batch_id)
    try:
        wait_finished(Batch.objects.get(pk=batch_id))
        seconds = time.perf_counter() - started
    finally:
        polling.stop()
    return len(titles) / seconds, polling.answers


def scenario_pollers(quick: bool) -> list[Figure]:
    """Checking throughput under gunicorn while 50 clients poll the batch's progress at the
    page's rate, against the same server with nobody polling, alternated in one run."""
    count, latency, clients, rounds = (1500 if quick else 4000), 20, 50, 2
    titles = [f"Page {n}" for n in range(count)]
    alone, polled, answers = [], [], {}
    with RemoteWiki(latency_ms=latency) as wiki, WebServer(wiki=wiki) as server:
        # Both processes have served a request (and started sweeping) before the timing.
        batch_throughput(server=server, wiki=wiki, titles=titles[:100], pollers=clients)
        for _ in range(rounds):
            alone.append(batch_throughput(server=server, wiki=wiki, titles=titles, pollers=0)[0])
            rate, round_answers = batch_throughput(
                server=server, wiki=wiki, titles=titles, pollers=clients
            )
            polled.append(rate)
            for status, number in round_answers.items():
                answers[status] = answers.get(status, 0) + number
    ratio = sum(polled) / sum(alone)
    name = f"pollers ({count} pages, {latency} ms, gunicorn 2x4, {clients} pollers at 1 s)"
    early = answers.pop("early", 0)
    polls = sum(answers.values())
    by_status = [answers.get(status, 0) for status in (200, 204, 286)]
    by_status.append(polls - sum(by_status))
    return [
        Figure(
            name,
            "checking throughput, nobody polling",
            f"{sum(alone) / rounds:.0f} pages/s",
            "",
            None,
        ),
        Figure(
            name,
            f"checking throughput, {clients} polling",
            f"{sum(polled) / rounds:.0f} pages/s",
            "",
            None,
        ),
        Figure(name, "throughput polled / alone", f"{ratio:.0%}", ">= 80%", ratio >= 0.8),
        Figure(name, "polls answered", str(polls), "", None),
        Figure(name, "of which 200 / 204 / 286 / other", " / ".join(map(str, by_status)), "", None),
        Figure(name, "of which answered before the session was read", str(early), "", None),
    ]


def scenario_search(quick: bool) -> list[Figure]:
    """History search over 2,000,000 result rows (200 batches of 10,000): the time budget
    against the unbounded search it replaced, alone and 8 at once on 8 server threads."""
    batches, size = (20, 10_000) if quick else (200, 10_000)
    user = get_user_model().objects.create_user(username=f"searcher-{time.time_ns()}")
    history_insert(owner=user, batches=batches, size=size)
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    # A logged-in client per thread: a test client is not meant to be shared between threads.
    clients: queue.SimpleQueue[Client] = queue.SimpleQueue()
    for _ in range(8):
        client = Client()
        client.force_login(user)
        clients.put(client)
    missing = f"{reverse('batch_list')}?q=nowhere"

    def unbounded() -> None:
        """What the history page did before: count and list every batch mentioning the text."""
        matching = Batch.objects.filter(owner=user).mentioning("nowhere")
        page = Paginator(matching, 25).get_page(1)
        list(page.object_list)

    def budgeted() -> None:
        client = clients.get()
        assert client.get(missing).status_code == 200
        clients.put(client)

    def timed(work: Callable[[], object]) -> float:
        started = time.perf_counter()
        work()
        return time.perf_counter() - started

    def crowded(work: Callable[[], object]) -> tuple[float, float]:
        """8 searches at once on 8 server threads, then a login page: the slowest search and
        how long the login page took to be answered (waiting for a free thread included)."""
        with ThreadPoolExecutor(max_workers=8) as threads:
            started = time.perf_counter()
            searches = [threads.submit(timed, work) for _ in range(8)]
            login = threads.submit(Client().get, reverse("login"))
            login.result()
            return max(search.result() for search in searches), time.perf_counter() - started

    budgeted()  # the first request pays for loading templates and URLs
    before, after = timed(unbounded), timed(budgeted)
    needle = client.get(f"{reverse('batch_list')}?q=Needle").content.decode()
    found = needle.count('class="badge') == 1 and "Searched your newest" in needle
    crowded_before, login_before = crowded(unbounded)
    crowded_after, login_after = crowded(budgeted)
    budget = settings.WIKICHECK_SEARCH_BUDGET_MS / 1000
    name = f"search ({batches * size:,} result rows, {batches} batches)"
    return [
        Figure(name, "a miss, unbounded (before)", f"{before:.2f} s", "", None),
        Figure(
            name,
            "a miss, within the budget",
            f"{after:.2f} s",
            f"<= {2 * budget:.1f} s",
            after <= 2 * budget,
        ),
        Figure(name, "the newest batch's match found, with the note", str(found), "True", found),
        Figure(
            name,
            "8 at once, slowest (before / after)",
            f"{crowded_before:.2f} s / {crowded_after:.2f} s",
            "",
            None,
        ),
        Figure(
            name,
            "login page during 8 searches (before / after)",
            f"{login_before:.2f} s / {login_after:.2f} s",
            f"<= {2 * budget:.1f} s",
            login_after <= 2 * budget,
        ),
    ]


def history_insert(*, owner, batches: int, size: int) -> None:
    """`batches` finished batches of `size` results each; the newest holds one "Needle" page.

    The first batch's rows are copied for the others (INSERT ... SELECT), far faster than
    inserting 2,000,000 rows one by one."""
    wiki = "https://en.wikipedia.org/wiki/"
    with transaction.atomic():
        made = [
            Batch.objects.create(owner=owner, wiki=wiki, total=size, status="finished")
            for _ in range(batches)
        ]
        first = made[0]
        results_insert(
            batch_id=first.pk, rows=((f"{wiki}P_{n}", f"P {n}", "") for n in range(size))
        )
        Result.objects.filter(batch=first).update(status="exists")
        results_copy(source=first, targets=made[1:])
        newest = made[-1]
        Result.objects.filter(batch=newest, position=0).update(title="Needle", url=f"{wiki}Needle")
        # Created a minute apart, the last one newest.
        start = timezone.now() - timedelta(minutes=len(made))
        for minutes, batch in enumerate(made):
            Batch.objects.filter(pk=batch.pk).update(created_at=start + timedelta(minutes=minutes))


SCENARIOS: dict[str, Callable[[bool], list[Figure]]] = {
    "latency": scenario_latency,
    "cpu": scenario_cpu,
    "api": scenario_api,
    "large": scenario_large,
    "reads": scenario_reads,
    "celery": scenario_celery,
    "pollers": scenario_pollers,
    "search": scenario_search,
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
    engine = connection.display_name
    print(f"wikicheck benchmark on {os.cpu_count()} cores, {engine}, fake wiki on 127.0.0.1\n")
    print("| scenario | figure | value | target | result |\n|---|---|---|---|---|")
    for figure in figures:
        verdict = {True: "PASS", False: "FAIL", None: ""}[figure.passed]
        cells = [figure.scenario, figure.name, figure.value, figure.target, verdict]
        print("| " + " | ".join(cells) + " |")
    return 1 if any(figure.passed is False for figure in figures) else 0


if __name__ == "__main__":
    sys.exit(main())
