"""Checking one claimed unit, within its deadline (checks/engine/units.py)."""

import time
import uuid

import pytest

from checks.engine.claims import Claim, ClaimedRow
from checks.engine.units import deadline_seconds, unit_check
from checks.probe.outcome import Verdict
from fakewiki.server import FakeWiki


def page_claim(wiki: FakeWiki, title: str, *, timeout: float) -> Claim:
    row = ClaimedRow(
        pk=1,
        batch_id=uuid.uuid4(),
        position=0,
        url=wiki.wiki_url + title,
        title="",
        claimer=uuid.uuid4(),
    )
    return Claim(batch_id=row.batch_id, timeout=timeout, api_url="", rows=(row,))


def test_the_deadline_allows_every_attempt_its_timeouts_and_each_retry_the_longest_wait() -> None:
    seconds = deadline_seconds(timeout=(3.05, 10), retries=2, retry_after_max=30)

    assert seconds == pytest.approx(3 * 13.05 + 2 * 30)


def test_a_host_dripping_its_headers_is_an_error_at_the_deadline(fake_wiki, settings) -> None:
    settings.WIKICHECK_RETRIES = 1
    settings.WIKICHECK_RETRY_AFTER_MAX = 0
    # Each byte comes within the 2 s read timeout; two attempts of 2 + 2 s make 8 s.
    seconds = deadline_seconds(timeout=(2, 2), retries=1, retry_after_max=0)
    started = time.perf_counter()

    [(_, outcome)] = unit_check(page_claim(fake_wiki, "Fault:drip-headers", timeout=2))

    assert seconds <= time.perf_counter() - started < seconds + 1
    assert outcome.verdict == Verdict.ERROR
    assert outcome.error.startswith(f"Deadline: no complete answer within {seconds:g} s")
    assert outcome.http_status is None
    assert seconds * 1000 <= outcome.elapsed_ms < (seconds + 1) * 1000
    assert fake_wiki.requests_by_title == {"Fault:drip-headers": 1}


def test_a_page_answered_in_time_keeps_its_outcome(fake_wiki, settings) -> None:
    settings.WIKICHECK_RETRIES = 0
    settings.WIKICHECK_RETRY_AFTER_MAX = 0

    [(_, outcome)] = unit_check(page_claim(fake_wiki, "Ocean", timeout=2))

    assert (outcome.verdict, outcome.http_status, outcome.error) == (Verdict.EXISTS, 200, "")
