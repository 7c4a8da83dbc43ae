"""Checking throughput under gunicorn while 50 clients poll the batch's progress at the page's
rate, against the same server with nobody polling, alternated in one run."""

import time

from bench.figures import Figure, Report
from bench.pipeline import wait_finished
from bench.pollers import Pollers
from bench.web import WebServer
from tests.support import WikiProcess


def run(*, quick: bool) -> list[Figure]:
    """Throughput polled and alone, and how the polls were answered."""
    count, latency, clients, rounds = (1500 if quick else 4000), 20, 50, 2
    titles = [f"Page {n}" for n in range(count)]
    alone, polled, answers = [], [], {}
    with WikiProcess(latency_ms=latency) as wiki, WebServer(wiki=wiki) as server:
        # Both processes have served a request (and started sweeping) before the timing.
        throughput(server=server, wiki=wiki, titles=titles[:100], pollers=clients)
        for _ in range(rounds):
            alone.append(throughput(server=server, wiki=wiki, titles=titles, pollers=0)[0])
            rate, round_answers = throughput(
                server=server, wiki=wiki, titles=titles, pollers=clients
            )
            polled.append(rate)
            for status, number in round_answers.items():
                answers[status] = answers.get(status, 0) + number
    ratio = sum(polled) / sum(alone)
    report = Report(
        f"pollers ({count} pages, {latency} ms, gunicorn 2x4, {clients} pollers at 1 s)"
    )
    report.note("checking throughput, nobody polling", value=f"{sum(alone) / rounds:.0f} pages/s")
    report.note(
        f"checking throughput, {clients} polling", value=f"{sum(polled) / rounds:.0f} pages/s"
    )
    report.check(
        "throughput polled / alone", value=f"{ratio:.0%}", target=">= 80%", passed=ratio >= 0.8
    )
    early = answers.pop("early", 0)
    polls = sum(answers.values())
    by_status = [answers.get(status, 0) for status in (200, 204, 286)]
    by_status.append(polls - sum(by_status))
    report.note("polls answered", value=str(polls))
    report.note("of which 200 / 204 / 286 / other", value=" / ".join(map(str, by_status)))
    report.note("of which answered before the session was read", value=str(early))
    return report.figures


def throughput(
    *, server: WebServer, wiki: WikiProcess, titles: list[str], pollers: int
) -> tuple[float, dict[int | str, int]]:
    """Pages per second of one batch posted to the server while `pollers` clients poll it at
    the page's rate (1 s); and the pollers' answers by HTTP status."""
    polling = Pollers(server=server, count=pollers, interval=1.0)
    started = time.perf_counter()
    batch_id = server.submit(titles=titles, wiki=wiki)
    polling.start(batch_id=batch_id)
    try:
        wait_finished(batch_id)
        seconds = time.perf_counter() - started
    finally:
        polling.stop()
    return len(titles) / seconds, polling.answers
