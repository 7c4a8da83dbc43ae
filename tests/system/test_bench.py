"""The benchmark as its users run it (`python -m bench`): quiet when imported, strict about
scenario names, and a quick scenario runs the real pipeline end to end and prints its figures."""

import os
import subprocess
import sys

from tests.support import ROOT


def python_run(
    *arguments: str, timeout: float = 300, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    # The test run's settings and database must not leak into the benchmark, which picks its own.
    leaking = {"DJANGO_SETTINGS_MODULE", "DATABASE_URL"}
    env = {k: v for k, v in os.environ.items() if k not in leaking} | (extra_env or {})
    return subprocess.run(
        [sys.executable, *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_importing_every_module_of_the_benchmark_sets_nothing_up():
    code = (
        "import os, django.apps, bench.cli, bench.pollers, bench.web\n"
        "from bench.scenarios import SCENARIOS\n"
        "print(django.apps.apps.ready, 'DATABASE_URL' in os.environ, sorted(SCENARIOS))"
    )

    done = python_run("-c", code)

    assert done.returncode == 0, done.stderr
    assert done.stdout.split(" ", 2)[:2] == ["False", "False"]
    assert "'latency'" in done.stdout and "'search'" in done.stdout


def test_an_unknown_scenario_is_refused_before_anything_runs():
    done = python_run("-m", "bench", "latency", "nonsense")

    assert done.returncode == 2
    assert "unknown scenario(s): nonsense" in done.stderr
    assert "|" not in done.stdout


def test_a_quick_latency_run_prints_its_figures_as_a_table():
    done = python_run("-m", "bench", "latency", "--quick")

    rows = [line for line in done.stdout.splitlines() if line.startswith("| latency (300 pages")]
    assert done.returncode in (0, 1), done.stderr[-3000:]
    assert [row.split(" | ")[1] for row in rows] == [
        "lower bound N*L/W",
        "wikicheck wall time",
        "seed script (requests.get, default pool)",
        "wikicheck speed-up over the seed script",
        "new connections per check",
    ]


def test_a_scenario_that_breaks_is_a_failed_figure_and_the_others_still_run(monkeypatch, capsys):
    from bench import cli
    from bench.figures import Figure

    def broken(*, quick: bool) -> list[Figure]:
        raise ConnectionError("the fake wiki went away")

    def fine(*, quick: bool) -> list[Figure]:
        return [Figure("fine", "wall time", "1.00 s", "<= 2 s", True)]

    monkeypatch.setattr(cli, "SCENARIOS", {"broken": broken, "fine": fine})

    figures = [
        figure for name in ("broken", "fine") for figure in cli.scenario_run(name, quick=True)
    ]

    assert [(figure.scenario, figure.passed) for figure in figures] == [
        ("broken", False),
        ("fine", True),
    ]
    assert figures[0].value == "ConnectionError: the fake wiki went away"
    assert "Traceback" in capsys.readouterr().err


def test_the_cli_scenario_runs_without_lychee_and_says_how_to_get_it():
    env_without = {"WIKICHECK_BENCH_LYCHEE": ""}

    done = python_run("-m", "bench", "cli", "--quick", extra_env=env_without)

    rows = [line.split(" | ") for line in done.stdout.splitlines() if line.startswith("| cli (")]
    figures = {row[1]: row[2:] for row in rows}
    assert done.returncode == 1, done.stderr[-3000:]
    assert figures["lychee available"][0].startswith("no: set WIKICHECK_BENCH_LYCHEE")
    assert figures["checkpages, process start to exit"][0].endswith(" s")
    assert "checkpages / bound" in figures
