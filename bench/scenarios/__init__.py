"""The benchmark's scenarios by name, in the order a full run takes them. Each module's `run`
measures one thing and returns its figures."""

from collections.abc import Callable

from bench.figures import Figure
from bench.scenarios import (
    api,
    celery,
    cli,
    cpu,
    form,
    large,
    latency,
    million,
    pollers,
    reads,
    search,
)

SCENARIOS: dict[str, Callable[..., list[Figure]]] = {
    "latency": latency.run,
    "form": form.run,
    "cli": cli.run,
    "cpu": cpu.run,
    "api": api.run,
    "large": large.run,
    "million": million.run,
    "reads": reads.run,
    "celery": celery.run,
    "pollers": pollers.run,
    "search": search.run,
}
