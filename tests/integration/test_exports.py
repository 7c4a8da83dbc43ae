import csv
import io
import json
from datetime import UTC, datetime

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse

from checks.batches import batch_create
from checks.engine.backends.base import Backend
from checks.engine.backends.threads import ThreadsBackend
from checks.exports import csv_cell
from checks.models import Batch, Result
from checks.web.forms import BatchForm

WIKI = "https://en.wikipedia.org/wiki/"
CHECKED_AT = datetime(2025, 3, 4, 5, 6, 7, 890000, tzinfo=UTC)
# The CSV file's first line.
HEADER_LINE = (
    "position,url,title,status,http_status,error,redirect_target,normalized_title,note,"
    "elapsed_ms,checked_at,completion_order,page_id,disambiguation,wikidata_item,length,"
    "last_edited,final_url,lines,entry"
)
HEADER = HEADER_LINE.split(",")
# What the wiki said of a page, as a row stores it: a disambiguation page with its item.
MERCURY_INFO = {
    "page_id": 19065,
    "disambiguation": True,
    "wikidata_item": "Q1",
    "length": 4321,
    "last_edited": datetime(2024, 12, 31, 23, 59, 58, tzinfo=UTC),
    "final_url": WIKI + "Mercury",
}


def make_batch(owner, *titles: str) -> Batch:
    """A finished batch whose pages all exist, each typed as its title on its own line, stored
    directly: no worker, no network."""
    batch = Batch.objects.create(
        owner=owner,
        wiki=WIKI,
        total=len(titles),
        done=len(titles),
        exists_count=len(titles),
        status=Batch.Status.FINISHED,
        finished_at=CHECKED_AT,
    )
    Result.objects.bulk_create(
        Result(
            batch=batch,
            position=position,
            url=WIKI + title.replace(" ", "_"),
            title=title,
            entry=title,
            lines=str(position + 1),
            status=Result.Status.EXISTS,
            http_status=200,
            elapsed_ms=12,
            checked_at=CHECKED_AT,
            completion_order=len(titles) - position,
        )
        for position, title in enumerate(titles)
    )
    return batch


def download(client, name: str, batch: Batch, **query: str):
    response = client.get(reverse(name, args=[batch.pk]), query)
    assert response.status_code == 200
    return response, b"".join(response.streaming_content)


def csv_rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


# --- CSV -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_csv_has_the_columns_in_order_and_rows_in_submission_order(user_client, user):
    batch = make_batch(user, "Ocean", "Island")
    Result.objects.filter(batch=batch, position=1).update(
        status=Result.Status.MISSING,
        http_status=404,
        redirect_target="Isle",
        normalized_title="Island",
        note="a note",
        error="",
    )

    _, body = download(user_client, "batch_export_csv", batch)

    assert csv_rows(body) == [
        HEADER,
        [
            "0",
            WIKI + "Ocean",
            "Ocean",
            "exists",
            "200",
            "",
            "",
            "",
            "",
            "12",
            "2025-03-04T05:06:07.890Z",
            "2",
            "",
            "false",
            "",
            "",
            "",
            "",
            "1",
            "Ocean",
        ],
        [
            "1",
            WIKI + "Island",
            "Island",
            "missing",
            "404",
            "",
            "Isle",
            "Island",
            "a note",
            "12",
            "2025-03-04T05:06:07.890Z",
            "1",
            "",
            "false",
            "",
            "",
            "",
            "",
            "2",
            "Island",
        ],
    ]


@pytest.mark.django_db
def test_csv_starts_with_a_byte_order_mark(user_client, user):
    batch = make_batch(user, "Ocean")

    _, body = download(user_client, "batch_export_csv", batch)

    assert body.startswith(b"\xef\xbb\xbfposition,url,title,")


@pytest.mark.django_db
def test_csv_is_an_attachment_named_after_the_batch(user_client, user):
    batch = make_batch(user, "Ocean")
    stamp = batch.created_at.astimezone(UTC).strftime("%Y%m%d-%H%M")

    response, _ = download(user_client, "batch_export_csv", batch)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="wikicheck-{str(batch.pk)[:8]}-{stamp}.csv"'
    )


@pytest.mark.django_db
@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_neutralises_cells_that_would_start_a_formula(user_client, user, start):
    batch = make_batch(user, "Ocean")
    Result.objects.filter(batch=batch).update(
        title=f"{start}HYPERLINK(1)", note=f"{start}1", entry=f"{start}cmd|' /C calc'!A0"
    )

    _, body = download(user_client, "batch_export_csv", batch)

    row = dict(zip(HEADER, csv_rows(body)[1], strict=True))
    assert row["title"] == f"'{start}HYPERLINK(1)"
    assert row["note"] == f"'{start}1"
    assert row["entry"] == f"'{start}cmd|' /C calc'!A0"


def test_csv_cell_leaves_numbers_and_ordinary_text_alone():
    assert [csv_cell(value) for value in (200, None, "Ocean", "a=b", "'quoted")] == [
        200,
        None,
        "Ocean",
        "a=b",
        "'quoted",
    ]


@pytest.mark.django_db
def test_csv_keeps_unicode_titles(user_client, user):
    titles = ["Café", "東京", "Ελλάδα", "🌊 Ocean"]
    batch = make_batch(user, *titles)

    _, body = download(user_client, "batch_export_csv", batch)

    assert [row[2] for row in csv_rows(body)[1:]] == titles


@pytest.mark.django_db
def test_csv_carries_what_the_wiki_said_of_the_page_after_the_older_columns(user_client, user):
    batch = make_batch(user, "Mercury")
    Result.objects.filter(batch=batch).update(**MERCURY_INFO)

    _, body = download(user_client, "batch_export_csv", batch)

    row = dict(zip(HEADER, csv_rows(body)[1], strict=True))
    assert HEADER[12:18] == [
        "page_id",
        "disambiguation",
        "wikidata_item",
        "length",
        "last_edited",
        "final_url",
    ]
    assert [row[name] for name in HEADER[12:18]] == [
        "19065",
        "true",
        "Q1",
        "4321",
        "2024-12-31T23:59:58.000Z",
        WIKI + "Mercury",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["batch_export_csv", "batch_export_json"])
def test_export_times_are_cut_to_the_millisecond_and_a_flag_not_set_is_false(
    user_client, user, name
):
    batch = make_batch(user, "Venus")
    Result.objects.filter(batch=batch).update(
        checked_at=datetime(2025, 1, 31, 12, 0, 0, 250999, tzinfo=UTC),
        last_edited=datetime(2024, 2, 29, 0, 0, 0, 1000, tzinfo=UTC),
        disambiguation=False,
    )

    _, body = download(user_client, name, batch)

    if name == "batch_export_csv":
        row = dict(zip(HEADER, csv_rows(body)[1], strict=True))
        expected = {"disambiguation": "false"}
    else:
        (row,) = json.loads(body)["results"]
        expected = {"disambiguation": False}
    times = {"checked_at": "2025-01-31T12:00:00.250Z", "last_edited": "2024-02-29T00:00:00.001Z"}
    assert {key: row[key] for key in ("checked_at", "last_edited", "disambiguation")} == {
        **times,
        **expected,
    }


@pytest.mark.django_db
def test_csv_rows_of_a_submission_name_their_input_lines_duplicates_all_of_them(
    user_client, user, monkeypatch
):
    monkeypatch.setattr(ThreadsBackend, "work_submitted", Backend.work_submitted)
    form = BatchForm(
        {"urls": "\n/wiki/Ocean\nIsland\n\n https://en.wikipedia.org/wiki/Ocean\n", "wiki": WIKI}
    )
    assert form.is_valid(), form.errors
    batch = batch_create(owner=user, **form.submission())

    _, body = download(user_client, "batch_export_csv", batch)

    assert [(row[2], row[-2], row[-1]) for row in csv_rows(body)[1:]] == [
        ("Ocean", "2,5", "/wiki/Ocean"),
        ("Island", "3", "Island"),
    ]


@pytest.mark.django_db
def test_csv_ends_with_the_input_lines_and_the_entry_as_typed(user_client, user):
    batch = make_batch(user, "Ocean", "Island")
    Result.objects.filter(batch=batch, position=0).update(lines="2,5", entry="/wiki/Ocean")

    _, body = download(user_client, "batch_export_csv", batch)

    rows = csv_rows(body)
    assert rows[0][-2:] == ["lines", "entry"]
    assert [row[-2:] for row in rows[1:]] == [["2,5", "/wiki/Ocean"], ["2", "Island"]]


@pytest.mark.django_db
def test_csv_of_one_status_holds_only_those_results(user_client, user):
    batch = make_batch(user, "Ocean", "Nowhere", "Island", "Elsewhere")
    Result.objects.filter(batch=batch, position__in=[1, 3]).update(status=Result.Status.MISSING)

    _, body = download(user_client, "batch_export_csv", batch, status="missing")

    assert [row[2] for row in csv_rows(body)] == ["title", "Nowhere", "Elsewhere"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["batch_export_csv", "batch_export_json"])
def test_export_of_disambiguation_holds_disambiguation_pages_and_redirects_to_one(
    user_client, user, name
):
    batch = make_batch(user, "Mercury", "Ocean", "Merkur")
    Result.objects.filter(batch=batch, position=0).update(disambiguation=True)
    Result.objects.filter(batch=batch, position=2).update(
        redirect_target="Mercury", disambiguation=True
    )

    _, body = download(user_client, name, batch, status="disambiguation")

    if name.endswith("json"):
        titles = [row["title"] for row in json.loads(body)["results"]]
    else:
        titles = [row[2] for row in csv_rows(body)[1:]]
    assert titles == ["Mercury", "Merkur"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["batch_export_csv", "batch_export_json"])
def test_export_of_an_unknown_status_is_refused_naming_the_statuses(user_client, user, name):
    batch = make_batch(user, "Ocean")

    response = user_client.get(reverse(name, args=[batch.pk]), {"status": "blue"})

    assert response.status_code == 400
    assert "Unknown status 'blue'" in response.content.decode()
    assert "missing" in response.content.decode()
    assert "disambiguation" in response.content.decode()


# --- JSON ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_json_is_one_valid_document_with_the_batch_and_its_results(user_client, user):
    batch = make_batch(user, "Ocean", "東京", '"Quoted" \\ title')

    response, body = download(user_client, "batch_export_json", batch)

    document = json.loads(body)
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].endswith('.json"')
    assert document["batch"]["id"] == str(batch.pk)
    assert document["batch"]["status"] == "finished"
    assert document["batch"]["finished_at"] == "2025-03-04T05:06:07.890Z"
    assert document["batch"]["counts"]["exists"] == 3
    assert [list(row) for row in document["results"]] == [HEADER] * 3
    assert [row["title"] for row in document["results"]] == ["Ocean", "東京", '"Quoted" \\ title']
    assert document["results"][0]["checked_at"] == "2025-03-04T05:06:07.890Z"
    assert document["results"][0]["http_status"] == 200


@pytest.mark.django_db
def test_json_has_the_batch_and_its_results_as_the_api_answers_them(user_client, user):
    batch = make_batch(user, "Ocean", "Island")

    _, body = download(user_client, "batch_export_json", batch)
    answer = user_client.get(reverse("api:batch_detail", args=[batch.pk])).json()

    document = json.loads(body)
    assert document["results"] == answer.pop("results")
    # The changes against a parent batch are the API's alone: the export is the batch itself.
    assert document["batch"] == {
        name: value for name, value in answer.items() if name not in ("links", "next", "changes")
    }
    assert document["batch"]["counts"] == {
        "exists": 2,
        "missing": 0,
        "unknown": 0,
        "error": 0,
        "invalid": 0,
        "redirect": 0,
        "disambiguation": 0,
        "pending": 0,
        "cancelled": 0,
    }


@pytest.mark.django_db
def test_json_of_a_batch_without_results_is_valid(user_client, user):
    batch = Batch.objects.create(owner=user, wiki=WIKI, total=0)

    _, body = download(user_client, "batch_export_json", batch)

    assert json.loads(body)["results"] == []


@pytest.mark.django_db
def test_json_carries_what_the_wiki_said_of_the_page_with_its_types(user_client, user):
    batch = make_batch(user, "Mercury")
    Result.objects.filter(batch=batch).update(**MERCURY_INFO)

    _, body = download(user_client, "batch_export_json", batch)

    result = json.loads(body)["results"][0]
    assert {name: result[name] for name in MERCURY_INFO} == {
        "page_id": 19065,
        "disambiguation": True,
        "wikidata_item": "Q1",
        "length": 4321,
        "last_edited": "2024-12-31T23:59:58.000Z",
        "final_url": WIKI + "Mercury",
    }


@pytest.mark.django_db
def test_json_has_the_input_lines_as_numbers_and_the_entry_as_typed(user_client, user):
    batch = make_batch(user, "Ocean", "Island")
    Result.objects.filter(batch=batch, position=0).update(lines="2,5", entry="/wiki/Ocean")

    _, body = download(user_client, "batch_export_json", batch)

    results = json.loads(body)["results"]
    assert [(row["lines"], row["entry"]) for row in results] == [
        ([2, 5], "/wiki/Ocean"),
        ([2], "Island"),
    ]


@pytest.mark.django_db
def test_json_of_a_row_without_input_lines_has_an_empty_list(user_client, user):
    batch = make_batch(user, "Ocean")
    Result.objects.filter(batch=batch).update(lines="", entry="")

    _, body = download(user_client, "batch_export_json", batch)

    assert json.loads(body)["results"][0]["lines"] == []


@pytest.mark.django_db
def test_json_counts_disambiguation_pages_beside_the_statuses(user_client, user):
    batch = make_batch(user, "Mercury", "Ocean")
    Batch.objects.filter(pk=batch.pk).update(disambiguation_count=1)

    _, body = download(user_client, "batch_export_json", batch)

    assert json.loads(body)["batch"]["counts"]["disambiguation"] == 1


@pytest.mark.django_db
def test_json_of_one_status_holds_only_those_results_and_every_count(user_client, user):
    batch = make_batch(user, "Ocean", "Nowhere", "Island")
    Result.objects.filter(batch=batch, position=1).update(status=Result.Status.MISSING)
    Batch.objects.filter(pk=batch.pk).update(exists_count=2, missing_count=1)

    _, body = download(user_client, "batch_export_json", batch, status="missing")

    document = json.loads(body)
    assert [row["title"] for row in document["results"]] == ["Nowhere"]
    assert (document["batch"]["counts"]["exists"], document["batch"]["counts"]["missing"]) == (2, 1)


@pytest.mark.django_db
def test_json_keeps_formula_characters_as_they_are(user_client, user):
    batch = make_batch(user, "=1+1")

    _, body = download(user_client, "batch_export_json", batch)

    assert json.loads(body)["results"][0]["title"] == "=1+1"


# --- Access and streaming ------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["batch_export_csv", "batch_export_json"])
def test_another_users_export_is_not_found(user_client, other_user, name):
    batch = make_batch(other_user, "Ocean")

    response = user_client.get(reverse(name, args=[batch.pk]))

    assert response.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["batch_export_csv", "batch_export_json"])
def test_export_redirects_anonymous_users_to_login(client, user, name):
    batch = make_batch(user, "Ocean")

    response = client.get(reverse(name, args=[batch.pk]))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["batch_export_csv", "batch_export_json"])
def test_export_is_streamed(user_client, user, name):
    batch = make_batch(user, *(f"Page {n}" for n in range(1200)))

    response = user_client.get(reverse(name, args=[batch.pk]))

    assert isinstance(response, StreamingHttpResponse)
    assert len(list(response.streaming_content)) > 1


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["batch_export_csv", "batch_export_json"])
def test_a_large_export_takes_a_bounded_number_of_queries(
    user_client, user, name, django_assert_max_num_queries
):
    batch = make_batch(user, *(f"Page {n}" for n in range(20_000)))

    with django_assert_max_num_queries(5):
        response = user_client.get(reverse(name, args=[batch.pk]))
        body = b"".join(response.streaming_content)

    rows = json.loads(body)["results"] if name.endswith("json") else csv_rows(body)[1:]
    assert len(rows) == 20_000


@pytest.mark.django_db
def test_batch_page_links_to_both_downloads(user_client, user):
    batch = make_batch(user, "Ocean")

    page = user_client.get(batch.get_absolute_url()).content.decode()

    assert f'href="{reverse("batch_export_csv", args=[batch.pk])}" download' in page
    assert f'href="{reverse("batch_export_json", args=[batch.pk])}" download' in page
