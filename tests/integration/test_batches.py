from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model

from checks.batches import (
    batch_cancel,
    batch_create,
    batch_rename,
    batch_rerun,
    batch_resume,
    batch_retry,
)
from checks.engine.backends.base import Backend
from checks.engine.backends.threads import ThreadsBackend
from checks.engine.claims import ClaimedRow, results_claim
from checks.engine.outcomes import results_record
from checks.intake.parsing import Entry, entry_parse
from checks.intake.sources import SourceName, SourcePages
from checks.models import NAME_LENGTH, Batch, Result
from checks.probe.outcome import Outcome, Verdict
from checks.quotas import QuotaExceeded

WIKI = "https://en.wikipedia.org/wiki/"


@pytest.fixture(autouse=True)
def no_workers(monkeypatch):
    """These tests drive claims and records by hand; no worker may take the rows."""
    monkeypatch.setattr(ThreadsBackend, "work_submitted", Backend.work_submitted)


@pytest.fixture
def owner(db):
    return get_user_model().objects.create_user(username="batches-owner")


def entries(*titles: str) -> list[Entry]:
    return [Entry(url=WIKI + title.replace(" ", "_"), title=title) for title in titles]


def claim_one() -> ClaimedRow | None:
    claims = results_claim(units=1, api_limit=1)
    return claims[0].rows[0] if claims else None


def record(verdict: Verdict, http_status: int | None = None) -> None:
    results_record(
        outcomes=[
            (
                claim_one(),
                Outcome(
                    verdict=verdict,
                    http_status=http_status,
                    error="ReadTimeout: no answer within 1 s" if verdict == Verdict.ERROR else "",
                    elapsed_ms=5,
                    checked_at=datetime.now(UTC),
                ),
            )
        ]
    )


@pytest.mark.django_db
def test_batch_create_stores_pending_rows_in_submission_order(owner):
    batch = batch_create(owner=owner, entries=entries("B", "A", "C"), wiki=WIKI, duplicates=1)

    assert (batch.total, batch.duplicates, batch.status) == (3, 1, Batch.Status.RUNNING)
    assert list(batch.results.values_list("title", "status")) == [
        ("B", "pending"),
        ("A", "pending"),
        ("C", "pending"),
    ]


@pytest.mark.django_db
def test_a_batch_needs_at_least_one_page(owner):
    with pytest.raises(ValueError, match="at least one page"):
        batch_create(owner=owner, entries=[], wiki=WIKI)

    assert Batch.objects.count() == 0


@pytest.mark.django_db
def test_cancel_keeps_finished_results_and_takes_the_rest_out_of_the_queue(owner):
    batch = batch_create(owner=owner, entries=entries("A", "B", "C", "D"), wiki=WIKI)
    record(Verdict.EXISTS, 200)
    in_flight = claim_one()

    cancelled = batch_cancel(batch=batch)
    results_record(
        outcomes=[
            (
                in_flight,
                Outcome(
                    verdict=Verdict.MISSING,
                    http_status=404,
                    error="",
                    elapsed_ms=5,
                    checked_at=datetime.now(UTC),
                ),
            )
        ]
    )

    batch.refresh_from_db()
    assert cancelled is True
    assert batch.status == Batch.Status.CANCELLED
    assert dict(batch.results.values_list("title", "status")) == {
        "A": "exists",
        "B": "missing",
        "C": "cancelled",
        "D": "cancelled",
    }
    assert (batch.done, batch.cancelled_count, batch.pending_count) == (2, 2, 0)
    assert batch.is_settled
    assert claim_one() is None


@pytest.mark.django_db
def test_cancelling_an_ended_batch_changes_nothing(owner):
    batch = batch_create(owner=owner, entries=entries("A"), wiki=WIKI)
    record(Verdict.EXISTS, 200)

    cancelled = batch_cancel(batch=batch)

    batch.refresh_from_db()
    assert cancelled is False
    assert batch.status == Batch.Status.FINISHED


@pytest.mark.django_db
def test_rerun_makes_a_new_batch_of_every_page_in_order(owner):
    batch = batch_create(owner=owner, entries=entries("A", "B"), wiki=WIKI, timeout=2.5)
    record(Verdict.EXISTS, 200)
    record(Verdict.ERROR)

    again = batch_rerun(batch=batch, owner=owner)

    assert again.pk != batch.pk
    assert again.parent == batch, "linked to the batch it checks again"
    assert (again.total, again.timeout, again.wiki) == (2, 2.5, WIKI)
    assert list(again.results.values_list("title", "status")) == [
        ("A", "pending"),
        ("B", "pending"),
    ]


@pytest.mark.django_db
def test_batch_create_stores_each_pages_entry_and_input_lines(owner):
    typed = [
        Entry(url=WIKI + "Ocean", title="Ocean", typed="/wiki/Ocean", lines=(2, 5)),
        Entry(url=WIKI + "Island", title="Island", typed="Island", lines=(3,)),
    ]

    batch = batch_create(owner=owner, entries=typed, wiki=WIKI)

    assert list(batch.results.values_list("title", "entry", "lines")) == [
        ("Ocean", "/wiki/Ocean", "2,5"),
        ("Island", "Island", "3"),
    ]


@pytest.mark.django_db
def test_an_invalid_row_settled_at_once_keeps_its_entry_and_lines(owner):
    forbidden = parsed("Foo[bar")[0]._replace(typed="foo[bar", lines=(1, 4))

    batch = batch_create(owner=owner, entries=[forbidden], wiki=WIKI, mode="page")

    assert list(batch.results.values_list("status", "entry", "lines")) == [
        ("invalid", "foo[bar", "1,4")
    ]


@pytest.mark.django_db
def test_rerun_and_retry_keep_each_pages_entry_and_input_lines(owner):
    typed = [
        Entry(url=WIKI + "Ocean", title="Ocean", typed="/wiki/Ocean", lines=(2, 5)),
        Entry(url=WIKI + "Island", title="Island", typed="Island", lines=(3,)),
    ]
    batch = batch_create(owner=owner, entries=typed, wiki=WIKI)
    record(Verdict.EXISTS, 200)
    record(Verdict.ERROR)

    rerun = batch_rerun(batch=batch, owner=owner)
    retry = batch_retry(batch=batch, owner=owner)

    assert list(rerun.results.values_list("entry", "lines")) == [
        ("/wiki/Ocean", "2,5"),
        ("Island", "3"),
    ]
    assert list(retry.results.values_list("entry", "lines")) == [("Island", "3")]


@pytest.mark.django_db
def test_retry_makes_a_new_batch_of_only_errors_and_unknowns(owner):
    batch = batch_create(owner=owner, entries=entries("A", "B", "C", "D"), wiki=WIKI)
    record(Verdict.EXISTS, 200)
    record(Verdict.ERROR)
    record(Verdict.MISSING, 404)
    record(Verdict.UNKNOWN, 503)

    again = batch_retry(batch=batch, owner=owner)

    assert list(again.results.values_list("title", flat=True)) == ["B", "D"]
    assert again.parent == batch


@pytest.mark.django_db
def test_retry_with_nothing_to_retry_says_so_and_stores_nothing(owner):
    batch = batch_create(owner=owner, entries=entries("A"), wiki=WIKI)
    record(Verdict.EXISTS, 200)

    with pytest.raises(ValueError, match="nothing to check again"):
        batch_retry(batch=batch, owner=owner)

    assert Batch.objects.count() == 1
    assert Result.objects.count() == 1


@pytest.mark.django_db
def test_rerun_refuses_pages_on_a_host_removed_from_the_allow_list(owner, settings):
    batch = batch_create(owner=owner, entries=entries("A", "B"), wiki=WIKI)
    settings.WIKICHECK_ALLOWED_HOSTS = ["*.wikimedia.org"]

    with pytest.raises(ValueError) as refusal:
        batch_rerun(batch=batch, owner=owner)

    assert str(refusal.value) == (
        "Not checked again: en.wikipedia.org is no longer in WIKICHECK_ALLOWED_HOSTS."
    )
    assert Batch.objects.count() == 1
    assert Result.objects.count() == 2


@pytest.mark.django_db
def test_retry_names_every_host_removed_from_the_allow_list(owner, settings):
    urls = ["https://en.wikipedia.org/wiki/A", "https://de.wikipedia.org/wiki/B"]
    batch = batch_create(
        owner=owner, entries=[Entry(url=url, title=url[-1]) for url in urls], wiki=WIKI
    )
    record(Verdict.ERROR)
    record(Verdict.UNKNOWN, 503)
    settings.WIKICHECK_ALLOWED_HOSTS = ["*.wikimedia.org"]

    with pytest.raises(ValueError) as refusal:
        batch_retry(batch=batch, owner=owner)

    assert str(refusal.value) == (
        "Not checked again: en.wikipedia.org and de.wikipedia.org are no longer in "
        "WIKICHECK_ALLOWED_HOSTS."
    )
    assert Batch.objects.count() == 1


# --- Names -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_batch_without_a_name_is_named_after_its_first_three_titles_and_the_rest(owner):
    batch = batch_create(
        owner=owner, entries=entries("Ocean", "Island", "Shark", "Reef"), wiki=WIKI
    )

    assert Batch.objects.get(pk=batch.pk).display_name == "Ocean, Island, Shark and 1 more"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("titles", "name"),
    [
        (["Ocean"], "Ocean"),
        (["Ocean", "Island"], "Ocean, Island"),
        (["Ocean", "Island", "Shark"], "Ocean, Island, Shark"),
    ],
)
def test_a_batch_of_up_to_three_titles_is_named_after_all_of_them(owner, titles, name):
    batch = batch_create(owner=owner, entries=entries(*titles), wiki=WIKI)

    assert Batch.objects.get(pk=batch.pk).display_name == name


@pytest.mark.django_db
def test_a_given_name_wins_over_the_one_made_of_the_titles(owner):
    batch = batch_create(owner=owner, entries=entries("Ocean", "Island"), wiki=WIKI, name="Seas")

    assert Batch.objects.get(pk=batch.pk).display_name == "Seas"


@pytest.mark.django_db
def test_a_rerun_and_a_retry_keep_the_batchs_name(owner):
    batch = batch_create(owner=owner, entries=entries("Ocean", "Island"), wiki=WIKI, name="Seas")
    record(Verdict.EXISTS, 200)
    record(Verdict.ERROR)

    rerun = batch_rerun(batch=batch, owner=owner)
    retry = batch_retry(batch=batch, owner=owner)

    assert (rerun.display_name, retry.display_name) == ("Seas", "Seas")


@pytest.mark.django_db
def test_rename_gives_the_batch_its_owners_name(owner):
    batch = batch_create(owner=owner, entries=entries("Ocean", "Island"), wiki=WIKI)

    batch_rename(batch=batch, name="  Coral   seas ")

    assert Batch.objects.get(pk=batch.pk).display_name == "Coral seas"


@pytest.mark.django_db
@pytest.mark.parametrize("cleared", ["", "   "])
def test_renaming_to_nothing_gives_back_the_name_made_of_the_titles(owner, cleared):
    batch = batch_create(owner=owner, entries=entries("Ocean", "Island"), wiki=WIKI, name="Seas")

    batch_rename(batch=batch, name=cleared)

    assert Batch.objects.get(pk=batch.pk).display_name == "Ocean, Island"


@pytest.mark.django_db
def test_a_name_too_long_is_refused_and_the_batch_keeps_its_name(owner):
    batch = batch_create(owner=owner, entries=entries("Ocean"), wiki=WIKI, name="Seas")

    with pytest.raises(ValueError, match=f"at most {NAME_LENGTH} characters"):
        batch_rename(batch=batch, name="x" * (NAME_LENGTH + 1))

    assert Batch.objects.get(pk=batch.pk).display_name == "Seas"


# --- Titles MediaWiki forbids ------------------------------------------------------------------


def parsed(*lines: str) -> list[Entry]:
    return [entry_parse(line, wiki=WIKI, allowed_hosts=["*.wikipedia.org"]) for line in lines]


BRACKET_REASON = 'The requested page title contains invalid characters: "[".'
EMPTY_REASON = "The requested page title is empty or contains only the name of a namespace."


@pytest.mark.django_db
def test_page_mode_stores_forbidden_titles_as_invalid_at_once(owner):
    batch = batch_create(
        owner=owner, entries=parsed("Ocean", "Foo[bar", "Island", "Talk:"), wiki=WIKI, mode="page"
    )

    batch.refresh_from_db()
    assert list(batch.results.values_list("title", "status", "error")) == [
        ("Ocean", "pending", ""),
        ("Foo[bar", "invalid", BRACKET_REASON),
        ("Island", "pending", ""),
        ("Talk:", "invalid", EMPTY_REASON),
    ]
    assert (batch.total, batch.done, batch.invalid_count, batch.pending_count) == (4, 2, 2, 2)
    assert batch.status == Batch.Status.RUNNING
    assert batch.results.filter(status="invalid", checked_at__isnull=True).count() == 0


@pytest.mark.django_db
def test_pages_checked_later_complete_after_the_invalid_rows(owner):
    batch = batch_create(
        owner=owner, entries=parsed("Foo[bar", "Ocean", "~~~~"), wiki=WIKI, mode="page"
    )

    record(Verdict.EXISTS, 200)

    batch.refresh_from_db()
    assert list(batch.results.order_by("completion_order").values_list("title", flat=True)) == [
        "Foo[bar",
        "~~~~",
        "Ocean",
    ]
    assert batch.status == Batch.Status.FINISHED
    assert (batch.exists_count, batch.invalid_count) == (1, 2)


@pytest.mark.django_db
def test_a_batch_of_only_forbidden_titles_is_finished_at_once(owner):
    batch = batch_create(owner=owner, entries=parsed("A|B", "<x>"), wiki=WIKI, mode="page")

    batch.refresh_from_db()
    assert batch.status == Batch.Status.FINISHED
    assert batch.finished_at is not None
    assert (batch.done, batch.invalid_count, batch.pending_count) == (2, 2, 0)
    assert claim_one() is None


@pytest.mark.django_db
def test_api_mode_sends_forbidden_titles_to_the_api_for_its_reason(owner):
    batch = batch_create(owner=owner, entries=parsed("Ocean", "Foo[bar", "~~~~"), wiki=WIKI)

    batch.refresh_from_db()
    assert (
        list(batch.results.values_list("status", "api_url"))
        == [
            ("pending", "https://en.wikipedia.org/w/api.php"),
        ]
        * 3
    )
    assert (batch.done, batch.invalid_count) == (0, 0)


@pytest.mark.django_db
def test_api_mode_settles_titles_no_api_request_can_name(owner):
    batch = batch_create(owner=owner, entries=parsed("A|B", "#only-a-section", "Ocean"), wiki=WIKI)

    assert list(batch.results.values_list("status", "error")) == [
        ("invalid", 'The requested page title contains invalid characters: "|".'),
        ("invalid", EMPTY_REASON),
        ("pending", ""),
    ]


@pytest.mark.django_db
def test_api_mode_settles_forbidden_titles_on_a_host_without_an_api(owner, settings):
    settings.WIKICHECK_API_PATHS = []

    batch = batch_create(owner=owner, entries=parsed("Foo[bar", "Ocean"), wiki=WIKI)

    assert list(batch.results.values_list("status", "api_url")) == [
        ("invalid", ""),
        ("pending", ""),
    ]


@pytest.mark.django_db
def test_rerun_in_page_mode_settles_forbidden_titles_again(owner):
    batch = batch_create(owner=owner, entries=parsed("Foo[bar", "Ocean"), wiki=WIKI, mode="page")

    again = batch_rerun(batch=batch, owner=owner)

    assert list(again.results.values_list("title", "status", "error")) == [
        ("Foo[bar", "invalid", BRACKET_REASON),
        ("Ocean", "pending", ""),
    ]
    assert (again.done, again.invalid_count) == (1, 1)


# --- A list that lives on the wiki ---------------------------------------------------------------


def source_of(**outcomes: Outcome) -> SourcePages:
    name = SourceName(
        kind="links",
        title="List",
        api_url="https://en.wikipedia.org/w/api.php",
        origin="https://en.wikipedia.org",
    )
    return SourcePages(name=name, text="List", namespaces=(0, 14), outcomes=outcomes)


def outcome(verdict: Verdict, **fields) -> Outcome:
    return Outcome(
        verdict=verdict,
        http_status=200,
        error="",
        elapsed_ms=4,
        checked_at=datetime.now(UTC),
        **fields,
    )


@pytest.mark.django_db
def test_a_sources_pages_are_stored_final_and_the_batch_finished_at_once(owner):
    source = source_of(
        **{
            "Sea water": outcome(Verdict.EXISTS, page_id=7, wikidata_item="Q1", length=90),
            "Red link": outcome(Verdict.MISSING),
            "Mercury": outcome(
                Verdict.EXISTS, redirect_target="Mercury (disambiguation)", disambiguation=True
            ),
        }
    )

    batch = batch_create(owner=owner, wiki=WIKI, source=source)

    assert (batch.status, batch.total, batch.done) == (Batch.Status.FINISHED, 3, 3)
    assert (batch.exists_count, batch.missing_count) == (2, 1)
    assert (batch.redirect_count, batch.disambiguation_count, batch.checked_ms) == (1, 1, 12)
    assert (batch.source_kind, batch.source, batch.source_namespaces) == ("links", "List", "0,14")
    assert list(
        batch.results.order_by("completion_order").values_list(
            "url", "entry", "status", "page_id", "wikidata_item", "length", "disambiguation"
        )
    ) == [
        (WIKI + "Sea_water", "Sea water", "exists", 7, "Q1", 90, False),
        (WIKI + "Red_link", "Red link", "missing", None, "", None, False),
        (WIKI + "Mercury", "Mercury", "exists", None, "", None, True),
    ]


@pytest.mark.django_db
def test_a_finished_source_batch_queues_nothing(owner):
    batch_create(owner=owner, wiki=WIKI, source=source_of(A=outcome(Verdict.EXISTS)))

    assert claim_one() is None


@pytest.mark.django_db
def test_check_the_rest_puts_what_a_cancel_left_unchecked_back_in_the_same_batch(owner):
    batch = batch_create(owner=owner, entries=entries("A", "B", "C", "D"), wiki=WIKI)
    record(Verdict.EXISTS, 200)
    batch_cancel(batch=batch)
    batch.refresh_from_db()

    resumed = batch_resume(batch=batch)
    record(Verdict.EXISTS, 200)
    record(Verdict.MISSING, 404)
    record(Verdict.EXISTS, 200)

    batch.refresh_from_db()
    assert resumed == 3
    assert batch.status == Batch.Status.FINISHED
    assert (batch.done, batch.cancelled_count, batch.exists_count, batch.missing_count) == (
        4,
        0,
        3,
        1,
    )
    assert Batch.objects.count() == 1


@pytest.mark.django_db
def test_check_the_rest_waits_for_the_checks_still_in_flight(owner):
    batch = batch_create(owner=owner, entries=entries("A", "B"), wiki=WIKI)
    claim_one()
    batch_cancel(batch=batch)
    batch.refresh_from_db()

    resumed = batch_resume(batch=batch)

    batch.refresh_from_db()
    assert resumed == 0
    assert batch.status == Batch.Status.CANCELLED
    assert batch.cancelled_count == 1


@pytest.mark.django_db
def test_only_a_cancelled_batch_has_a_rest_to_check(owner):
    batch = batch_create(owner=owner, entries=entries("A"), wiki=WIKI)

    assert batch_resume(batch=batch) == 0
    record(Verdict.EXISTS, 200)
    assert batch_resume(batch=batch) == 0


@pytest.mark.django_db
def test_check_the_rest_keeps_to_the_owner_s_limit_of_pages_waiting(owner, settings):
    settings.WIKICHECK_MAX_BATCH = 3
    settings.WIKICHECK_USER_MAX_PENDING = 3
    batch = batch_create(owner=owner, entries=entries("A", "B", "C"), wiki=WIKI)
    batch_cancel(batch=batch)
    batch.refresh_from_db()
    batch_create(owner=owner, entries=entries("D"), wiki=WIKI)

    with pytest.raises(QuotaExceeded):
        batch_resume(batch=batch)

    batch.refresh_from_db()
    assert (batch.status, batch.cancelled_count) == (Batch.Status.CANCELLED, 3)
