"""The command line: pick the scenarios, set Django up, run them, print the table of figures."""

import argparse
import os
import traceback

from django.db import connection

from bench import __doc__ as bench_doc
from bench.environment import django_start
from bench.figures import Figure, table_print
from bench.scenarios import SCENARIOS


def parser_build() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=bench_doc.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", metavar="scenario", help=", ".join(SCENARIOS))
    parser.add_argument("--quick", action="store_true", help="smaller batches, for a smoke run")
    return parser


def scenario_run(name: str, *, quick: bool) -> list[Figure]:
    """A scenario's figures; one that breaks is a failed figure saying how, and the others
    still run, so that one run reports every scenario."""
    try:
        return SCENARIOS[name](quick=quick)
    except Exception as exc:
        traceback.print_exc()
        return [Figure(name, "ran to the end", f"{type(exc).__name__}: {exc}", "True", False)]


def main(argv: list[str] | None = None) -> int:
    """Run the scenarios named in `argv` (all by default); 1 if any figure missed its target."""
    parser = parser_build()
    arguments = parser.parse_args(argv)
    unknown = set(arguments.scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    django_start()

    from checks.engine.backends import backend

    figures: list[Figure] = []
    for name in arguments.scenarios or SCENARIOS:
        figures += scenario_run(name, quick=arguments.quick)
    backend().shutdown(wait=True)
    engine = connection.display_name
    heading = f"wikicheck benchmark on {os.cpu_count()} cores, {engine}, fake wiki on 127.0.0.1"
    table_print(figures=figures, heading=heading)
    return 1 if any(figure.passed is False for figure in figures) else 0
