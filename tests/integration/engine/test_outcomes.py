"""Storing outcomes (engine/outcomes.py): what the wiki said of each page lands on its row, and
the batch counts its disambiguation pages."""

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from checks.engine.claims import ClaimedRow, results_claim
from checks.engine.outcomes import results_record
from checks.probe.outcome import Outcome, Verdict
from tests.integration.engine.test_workqueue import make_batch, outcome

API = "https://en.wikipedia.org/w/api.php"
EDITED = datetime(2024, 12, 31, 23, 59, 58, tzinfo=UTC)
# A disambiguation page as the API describes it.
MERCURY = replace(
    outcome(),
    page_id=19065,
    disambiguation=True,
    wikidata_item="Q1",
    length=4321,
    last_edited=EDITED,
)


def claimed_rows(size: int) -> tuple:
    """A batch of `size` API rows, and its rows claimed as one chunk."""
    batch = make_batch(size, api_urls=(API,))
    (claim,) = results_claim(units=1, api_limit=50)
    return batch, claim.rows


def store(rows: list[ClaimedRow], outcomes: list[Outcome]) -> int:
    return results_record(outcomes=list(zip(rows, outcomes, strict=True)))


@pytest.mark.django_db
def test_what_the_wiki_said_of_the_page_is_stored_on_its_row():
    batch, rows = claimed_rows(1)

    store(rows, [MERCURY])

    assert batch.results.values(
        "page_id", "disambiguation", "wikidata_item", "length", "last_edited", "final_url"
    ).get() == {
        "page_id": 19065,
        "disambiguation": True,
        "wikidata_item": "Q1",
        "length": 4321,
        "last_edited": EDITED,
        "final_url": "",
    }


@pytest.mark.django_db
def test_where_a_page_requests_redirects_ended_is_stored():
    batch, rows = claimed_rows(1)
    followed = replace(
        outcome(),
        normalized_title="Ocean",
        redirect_target="Ocean",
        final_url="https://en.wikipedia.org/wiki/Ocean",
    )

    store(rows, [followed])

    assert batch.results.values_list("redirect_target", "final_url").get() == (
        "Ocean",
        "https://en.wikipedia.org/wiki/Ocean",
    )


@pytest.mark.django_db
def test_disambiguation_pages_and_redirects_to_one_are_counted_within_exists():
    batch, rows = claimed_rows(4)
    redirect_to_mercury = replace(MERCURY, redirect_target="Mercury")

    store(rows, [MERCURY, outcome(), redirect_to_mercury, outcome(Verdict.MISSING, 404)])

    batch.refresh_from_db()
    assert (batch.exists_count, batch.missing_count) == (3, 1)
    assert (batch.disambiguation_count, batch.redirect_count) == (2, 1)
    assert batch.count_of("disambiguation") == 2


@pytest.mark.django_db
def test_a_page_without_page_info_stores_none_of_it():
    batch, rows = claimed_rows(1)

    store(rows, [outcome(Verdict.MISSING, 404)])

    batch.refresh_from_db()
    assert batch.results.values_list("page_id", "disambiguation", "wikidata_item").get() == (
        None,
        False,
        "",
    )
    assert batch.disambiguation_count == 0


@pytest.mark.django_db
def test_a_chunk_takes_as_many_statements_as_one_row():
    _, one = claimed_rows(1)
    _, fifty = claimed_rows(50)

    with CaptureQueriesContext(connection) as for_one:
        store(one, [MERCURY])
    with CaptureQueriesContext(connection) as for_fifty:
        store(fifty, [MERCURY] * 50)

    assert len(for_fifty.captured_queries) == len(for_one.captured_queries)
