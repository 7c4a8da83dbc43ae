"""A batch's results as CSV or JSON, produced a chunk at a time so no batch sits in memory whole.

Plain functions, nothing about HTTP: the download views stream these chunks, and
`manage.py checkpages` writes them to a file or stdout. Both formats have the same columns.
"""

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

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
# Rows fetched from the database at a time, and rows encoded into one chunk of output.
FETCH_SIZE = 2000
ROWS_PER_CHUNK = 500
# Spreadsheets treat a cell starting with one of these as a formula; OWASP's advice on CSV
# injection is to prefix such a cell with a quote, which makes it plain text.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Without a byte order mark, Excel reads a CSV file as the local legacy encoding.
BOM = "\ufeff"


def result_rows(batch: Batch) -> Iterator[tuple]:
    """The batch's results in submission order, as tuples in COLUMNS order (times in ISO 8601)."""
    rows = (
        Result.objects.filter(batch_id=batch.pk)
        .order_by("position")
        .values_list(*COLUMNS)
        .iterator(chunk_size=FETCH_SIZE)
    )
    checked_at = COLUMNS.index("checked_at")
    for row in rows:
        yield (*row[:checked_at], iso_utc(row[checked_at]), *row[checked_at + 1 :])


def batch_summary(batch: Batch) -> dict:
    """The batch itself, as the JSON export's header."""
    return {
        "id": str(batch.pk),
        "status": batch.status,
        "mode": batch.mode,
        "wiki": batch.wiki,
        "timeout": batch.timeout,
        "created_at": iso_utc(batch.created_at),
        "finished_at": iso_utc(batch.finished_at),
        "total": batch.total,
        "duplicates": batch.duplicates,
        "done": batch.done,
        "counts": {
            "exists": batch.exists_count,
            "missing": batch.missing_count,
            "unknown": batch.unknown_count,
            "error": batch.error_count,
            "invalid": batch.invalid_count,
            "redirect": batch.redirect_count,
            "cancelled": batch.cancelled_count,
            "pending": batch.pending_count,
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
    yield f'{{"batch": {_json(batch_summary(batch))}, "results": ['.encode()
    for rows in _chunked(result_rows(batch)):
        pieces = []
        for row in rows:
            pieces.append(separator + _json(dict(zip(COLUMNS, row, strict=True))))
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
