"""`python -m fakewiki` as the benchmark, the system tests and `serve.sh --demo` run it: a process
of its own, started from the command line and stopped with SIGTERM."""

import time
from pathlib import Path

import requests

from tests.support import WikiProcess


def test_command_serves_the_fake_wiki(tmp_path: Path) -> None:
    with WikiProcess(log=tmp_path / "wiki.log") as wiki:
        found = requests.get(wiki.wiki_url + "Earth", timeout=10)
        missing = requests.get(wiki.wiki_url + "Missing_moon", timeout=10)

    assert (found.status_code, missing.status_code) == (200, 404)


def test_command_exits_cleanly_when_terminated(tmp_path: Path) -> None:
    log = tmp_path / "wiki.log"
    wiki = WikiProcess(log=log)
    requests.head(wiki.wiki_url + "Earth", timeout=10)

    wiki.stop()

    assert wiki.process.returncode == 0
    output = log.read_text()
    assert f"Fake wiki on {wiki.wiki_url} (latency 0 ms)" in output
    assert "Stopped: {'requests_total': 1," in output


def test_command_delays_each_answer_by_latency_ms(tmp_path: Path) -> None:
    with WikiProcess(latency_ms=300, log=tmp_path / "wiki.log") as wiki:
        started = time.perf_counter()

        requests.head(wiki.wiki_url + "Earth", timeout=10)

        assert time.perf_counter() - started >= 0.300


def test_a_page_of_the_process_can_be_deleted_and_another_created(tmp_path: Path) -> None:
    with WikiProcess(log=tmp_path / "wiki.log") as wiki:
        wiki.pages_edit(delete=["Earth"], create=["Missing moon"])
        earth = requests.get(wiki.wiki_url + "Earth", timeout=10)
        moon = requests.get(wiki.wiki_url + "Missing_moon", timeout=10)

    assert (earth.status_code, moon.status_code) == (404, 200)
