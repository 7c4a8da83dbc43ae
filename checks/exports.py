"""A batch and its results as CSV or JSON, produced a chunk at a time so no batch sits in memory
whole; the one JSON shape of a batch and of a result, which the API answers too."""

# Plain functions, nothing about HTTP: the download views stream these chunks, and
# `manage.py checkpages` writes them to a file or stdout. Both formats have the same columns.

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from django.db.models import QuerySet

from checks.models import Batch, Result

# The columns of both formats, in this order.
COLUMNS = (
    "position",
    "url",
    "title",
    "status",
    "http_status",
    "error",
    "redirect_target",
    "normalized_title",
    "note",
    "elapsed_ms",
    "checked_at",
    "completion_order",
)
CHECKED_AT = COLUMNS.index("checked_at")
# The statuses JSON counts, besides "pending" (which has its own key) and "redirects".
COUNTED_STATUSES = (*Result.CHECKED_STATUSES, Result.Status.CANCELLED)
# Rows fetched from the database at a time, and rows encoded into one chunk of output.
FETCH_SIZE = 2000
ROWS_PER_CHUNK = 500
# Spreadsheets treat a cell starting with one of these as a formula; OWASP's advice on CSV
# injection is to prefix such a cell with a quote, which makes it plain text.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Without a byte order mark, Excel reads a CSV file as the local legacy encoding.
BOM = "\ufeff"


def results_in_order(batch: Batch) -> QuerySet:
    """The batch's results in submission order, as tuples of COLUMNS as stored."""
    return Result.objects.filter(batch_id=batch.pk).order_by("position").values_list(*COLUMNS)


def result_rows(batch: Batch) -> Iterator[tuple]:
    """The batch's results in submission order, as tuples in COLUMNS order (times in ISO 8601)."""
    for row in results_in_order(batch).iterator(chunk_size=FETCH_SIZE):
        yield _row_out(row)


def result_data(row: tuple) -> dict:
    """A result as JSON has it, the API and the export alike, from a row of results_in_order()."""
    return dict(zip(COLUMNS, _row_out(row), strict=True))


def batch_data(batch: Batch) -> dict:
    """A batch's state and counts as JSON has it: the API's batch and the JSON export's header."""
    return {
        "id": str(batch.pk),
        "status": batch.status,
        "mode": batch.mode,
        "wiki": batch.wiki,
        "timeout": batch.timeout,
        "created_at": iso_utc(batch.created_at),
        "finished_at": iso_utc(batch.finished_at),
        "elapsed_seconds": round(batch.elapsed_seconds, 3),
        "total": batch.total,
        "duplicates": batch.duplicates,
        "done": batch.done,
        "pending": batch.pending_count,
        "counts": {
            **{status.value: batch.count_of(status) for status in COUNTED_STATUSES},
            "redirects": batch.redirect_count,
        },
    }


def csv_chunks(batch: Batch) -> Iterator[bytes]:
    """UTF-8 CSV with a byte order mark and a header row; formula-like cells neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow(COLUMNS)
    for rows in _chunked(result_rows(batch)):
        writer.writerows([csv_cell(value) for value in row] for row in rows)
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode()


def csv_cell(value):
    """The value as a spreadsheet should show it: text that would start a formula gets a `'`."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def json_chunks(batch: Batch) -> Iterator[bytes]:
    """One UTF-8 JSON document, `{"batch": {...}, "results": [{...}, ...]}`, built in pieces."""
    separator = "\n"
    yield f'{{"batch": {_json(batch_data(batch))}, "results": ['.encode()
    for rows in _chunked(results_in_order(batch).iterator(chunk_size=FETCH_SIZE)):
        pieces = []
        for row in rows:
            pieces.append(separator + _json(result_data(row)))
            separator = ",\n"
        yield "".join(pieces).encode()
    yield b"\n]}\n"


def export_filename(batch: Batch, extension: str) -> str:
    """`wikicheck-<first 8 characters of the id>-<creation time, UTC>.<extension>`."""
    created = batch.created_at.astimezone(UTC).strftime("%Y%m%d-%H%M")
    return f"wikicheck-{str(batch.pk)[:8]}-{created}.{extension}"


def iso_utc(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with milliseconds, e.g. `2025-01-31T12:00:00.250Z`; None stays None."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").removesuffix("+00:00") + "Z"


def _row_out(row: tuple) -> tuple:
    return (*row[:CHECKED_AT], iso_utc(row[CHECKED_AT]), *row[CHECKED_AT + 1 :])


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def _chunked(rows: Iterable[tuple]) -> Iterator[list[tuple]]:
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == ROWS_PER_CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
