"""End to end from a shell: `manage.py checkpages` beside lychee and the tutorial's script, on
the same pages, side by side in one run."""

import os
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import requests

from bench.environment import workdir
from bench.figures import Figure, Report
from bench.timing import threaded
from tests.support import ROOT, WikiProcess

# The benchmark's own tools (bench/requirements.txt), installed by scripts/bench.sh.
LYCHEE = "WIKICHECK_BENCH_LYCHEE"


def run(*, quick: bool) -> list[Figure]:
    """Process start to exit for each tool; wikicheck's time against lychee's and the bound."""
    count, latency, workers = (300 if quick else 1000), 100, 32
    database = _migrated()
    with WikiProcess(latency_ms=latency) as wiki:
        urls = [f"{wiki.wiki_url}Page_{n}" for n in range(count)]
        listing = workdir() / "cli-pages.txt"
        listing.write_text("".join(f"{url}\n" for url in urls))
        wikicheck, phases = _checkpages(
            wiki=wiki, database=database, listing=listing, workers=workers
        )
        lychee = _lychee(listing=listing, workers=workers)
        # The tutorial's script with 32 threads: requests.get per URL, no Session.
        seed = threaded(lambda n: requests.get(urls[n], timeout=10), count, workers=workers)
    bound = count * latency / 1000 / workers
    report = Report(f"cli ({count} pages, {latency} ms, {workers} workers, page mode)")
    report.note("lower bound N*L/W", value=f"{bound:.2f} s")
    report.note("checkpages, process start to exit", value=f"{wikicheck:.2f} s")
    for phase, seconds in phases.items():
        report.note(f"checkpages: {phase}", value=f"{seconds:.2f} s")
    report.note("seed script (requests.get, 32 threads)", value=f"{seed:.2f} s")
    if lychee is None:
        report.check(
            "lychee available",
            value=f"no: set {LYCHEE} (bash scripts/bench.sh installs it)",
            target="True",
            passed=False,
        )
    else:
        label = "lychee (--max-concurrency, --host-concurrency 32, no interval)"
        report.note(label, value=f"{lychee:.2f} s")
        ratio = wikicheck / lychee
        report.check(
            "checkpages / lychee", value=f"{ratio:.2f}", target="<= 1.05", passed=ratio <= 1.05
        )
    ratio = wikicheck / bound
    report.check("checkpages / bound", value=f"{ratio:.2f}", target="<= 1.10", passed=ratio <= 1.10)
    return report.figures


def _migrated() -> Path:
    """A database of its own for the command, migrated and with its user, made before timing."""
    database = workdir() / "cli.sqlite3"
    env = _env(database) | {
        "DJANGO_SUPERUSER_USERNAME": "bench-cli",
        "DJANGO_SUPERUSER_PASSWORD": "bench-cli-pass-123",
    }
    for command in (["migrate", "--noinput"], ["ensure_superuser"]):
        _manage(*command, env=env, stdin="").check_returncode()
    return database


def _checkpages(
    *, wiki: WikiProcess, database: Path, listing: Path, workers: int
) -> tuple[float, dict[str, float]]:
    """The command's time from process start to exit, and where it went."""
    env = _env(database) | {
        "WIKICHECK_ALLOWED_HOSTS": f"127.0.0.1:{wiki.port}",
        "WIKICHECK_DEFAULT_WIKI": wiki.wiki_url,
        "WIKICHECK_MAX_WORKERS": str(workers),
    }
    arguments = ("checkpages", str(listing), "--mode", "page", "--quiet", "--output", os.devnull)
    started, started_at = time.perf_counter(), time.time()
    done = _manage(*arguments, env=env, stdin="")
    seconds = time.perf_counter() - started
    done.check_returncode()
    return seconds, _phases(database, started_at=started_at, ended_at=started_at + seconds)


def _phases(database: Path, *, started_at: float, ended_at: float) -> dict[str, float]:
    """Where the command's time went, from the times its batch and results were stored with:
    the last batch of the database is the command's."""
    with sqlite3.connect(database) as db:
        batch_id, created, finished = db.execute(
            "SELECT id, created_at, finished_at FROM checks_batch ORDER BY created_at DESC LIMIT 1"
        ).fetchone()
        rows = db.execute(
            "SELECT claimed_at, checked_at, elapsed_ms FROM checks_result WHERE batch_id = ?",
            [batch_id],
        ).fetchall()
    first_claim = min(_moment(claimed) for claimed, _, _ in rows)
    last_check = max(_moment(checked) + elapsed / 1000 for _, checked, elapsed in rows)
    return {
        "start-up, reading, parsing to the batch stored": _moment(created) - started_at,
        "inserting its rows to the first claim": first_claim - _moment(created),
        "checking, first claim to last answer": last_check - first_claim,
        "to the batch marked finished": _moment(finished) - last_check,
        "to the process's exit": ended_at - _moment(finished),
    }


def _moment(stored: str) -> float:
    """A time as SQLite holds it (UTC), in seconds since the epoch."""
    return datetime.fromisoformat(stored).replace(tzinfo=UTC).timestamp()


def _lychee(*, listing: Path, workers: int) -> float | None:
    """lychee's wall time on the same URLs, or None when it is not installed."""
    binary = os.environ.get(LYCHEE)
    if not binary:
        return None
    command = [binary, "--no-progress", "--max-concurrency", str(workers)]
    # Its default 50 ms between requests to one host would make it the slowest by far: off,
    # as wikicheck's own politeness is off against the fake wiki.
    command += ["--host-concurrency", str(workers), "--host-request-interval", "0ms"]
    command += ["--timeout", "10", str(listing)]
    started = time.perf_counter()
    subprocess.run(command, capture_output=True, check=True, timeout=300)
    return time.perf_counter() - started


def _env(database: Path) -> dict[str, str]:
    # The benchmark process's own database and settings must not leak into the command.
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    return env | {
        "DATABASE_URL": f"sqlite:///{database}",
        "DJANGO_SETTINGS_MODULE": "wikicheck_site.settings",
        "LOG_LEVEL": "ERROR",
    }


def _manage(*arguments: str, env: dict[str, str], stdin: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )
