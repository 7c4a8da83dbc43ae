"""Reading `action=query` answers as real MediaWiki writes them (checks/probe/query_answer.py)."""

from datetime import UTC, datetime, timedelta

from checks.probe.outcome import Verdict
from checks.probe.query_answer import query_merge, title_outcomes

CHECKED_AT = datetime(2026, 1, 2, tzinfo=UTC)


def outcome_of(title: str, query: dict):
    return title_outcomes([title], query, elapsed_ms=1, checked_at=CHECKED_AT)[title]


def test_a_loop_further_down_a_chain_names_every_step():
    # MediaWiki resolves each redirect once; a loop leaves its titles in `redirects`, no page.
    query = {
        "redirects": [
            {"from": "A", "to": "B"},
            {"from": "B", "to": "C"},
            {"from": "C", "to": "B"},
        ]
    }

    outcome = outcome_of("A", query)

    assert (outcome.verdict, outcome.note) == (Verdict.UNKNOWN, "redirect loop: A → B → C → B")


def test_a_title_the_answer_leaves_out_is_unknown_with_that_reason():
    outcome = outcome_of("Ocean", {"pages": []})

    assert (outcome.verdict, outcome.error) == (
        Verdict.UNKNOWN,
        "the API did not report this title",
    )


def invalid_answer(title: str, reason: str) -> dict:
    return {"pages": [{"title": title, "invalidreason": reason, "invalid": True}]}


def test_an_invalid_title_keeps_the_reason_without_its_nowiki_tags():
    reason = 'The requested page title contains invalid characters: "<nowiki>[</nowiki>".'

    outcome = outcome_of("Foo[bar", invalid_answer("Foo[bar", reason))

    assert (outcome.verdict, outcome.error) == (
        Verdict.INVALID,
        'The requested page title contains invalid characters: "[".',
    )


def test_an_invalid_character_that_looks_like_markup_is_kept():
    reason = 'The requested page title contains invalid characters: "<nowiki><</nowiki>".'

    outcome = outcome_of("<x>", invalid_answer("<x>", reason))

    assert outcome.error == 'The requested page title contains invalid characters: "<".'


def test_markup_inside_the_message_itself_is_stripped_too():
    reason = (
        "The requested page title contains invalid magic tilde sequence (<nowiki>~~~</nowiki>)."
    )

    outcome = outcome_of("~~~~", invalid_answer("~~~~", reason))

    assert outcome.error == (
        "The requested page title contains invalid magic tilde sequence (~~~)."
    )


def test_the_last_edit_is_the_latest_revision_in_utc_not_touched():
    page = {
        "pageid": 7,
        "ns": 0,
        "title": "Ocean",
        "touched": "2026-01-01T00:00:00Z",
        "revisions": [{"timestamp": "2024-05-06T07:08:09+02:00"}],
    }

    outcome = outcome_of("Ocean", {"pages": [page]})

    assert outcome.last_edited == datetime(2024, 5, 6, 5, 8, 9, tzinfo=UTC)
    assert outcome.last_edited.utcoffset() == timedelta(0)


def test_a_page_without_revisions_has_no_last_edit():
    outcome = outcome_of("Ocean", {"pages": [{"pageid": 7, "ns": 0, "title": "Ocean"}]})

    assert (outcome.verdict, outcome.page_id, outcome.last_edited) == (Verdict.EXISTS, 7, None)


def test_a_continued_answer_joins_properties_and_fills_in_revisions():
    first = {
        "normalized": [{"from": "ocean", "to": "Ocean"}],
        "pages": [
            {"pageid": 7, "ns": 0, "title": "Ocean", "length": 10, "pageprops": {"a": "1"}},
            {"ns": 0, "title": "Gone", "missing": True},
        ],
    }
    later = {
        "pages": [
            {"pageid": 7, "ns": 0, "title": "Ocean", "pageprops": {"wikibase_item": "Q7"}},
            {"ns": 0, "title": "Gone", "missing": True},
        ]
    }
    last = {"pages": [{"pageid": 7, "title": "Ocean", "revisions": [{"timestamp": "x"}]}]}

    merged = query_merge(query_merge(first, later=later), later=last)

    assert merged["normalized"] == first["normalized"]
    assert merged["pages"] == [
        {
            "pageid": 7,
            "ns": 0,
            "title": "Ocean",
            "length": 10,
            "pageprops": {"a": "1", "wikibase_item": "Q7"},
            "revisions": [{"timestamp": "x"}],
        },
        {"ns": 0, "title": "Gone", "missing": True},
    ]
