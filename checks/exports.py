"""A batch and its results as CSV or JSON, produced a chunk at a time so no batch sits in memory
whole; the one JSON shape of a batch and of a result, which the API answers too."""

# Plain functions, nothing about HTTP: the download views stream these chunks, and
# `manage.py checkpages` writes them to a file or stdout. Both formats have the same columns.

import csv
import io
import itertools
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from django.db import connection
from django.db.models import QuerySet

from checks.models import TALLIES, Batch, Result

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
    "page_id",
    "disambiguation",
    "wikidata_item",
    "length",
    "last_edited",
    "final_url",
    "lines",
    "entry",
)
# The columns holding a time, written in ISO 8601.
TIMES = tuple(COLUMNS.index(name) for name in ("checked_at", "last_edited"))
# The columns holding text that users or wikis wrote, which a spreadsheet could take for a
# formula; the others hold numbers, times, a status or the one flag.
TEXTS = tuple(
    COLUMNS.index(name)
    for name in (
        "url",
        "title",
        "error",
        "redirect_target",
        "normalized_title",
        "note",
        "wikidata_item",
        "final_url",
        "lines",
        "entry",
    )
)
FLAG = COLUMNS.index("disambiguation")
# What ?status= can list results by: whatever the batch counts (a status, "redirect",
# "disambiguation"), as its page's counts link to.
FILTER_KEYS = tuple(key for key, _, _, _ in TALLIES)
# Rows fetched from the database at a time, and rows encoded into one chunk of output.
FETCH_SIZE = 2000
ROWS_PER_CHUNK = 500
# Spreadsheets treat a cell starting with one of these as a formula; OWASP's advice on CSV
# injection is to prefix such a cell with a quote, which makes it plain text.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Without a byte order mark, Excel reads a CSV file as the local legacy encoding.
BOM = "\ufeff"


def status_filter(value: str) -> str:
    """The key ?status= names (one of FILTER_KEYS), or "" for all results; a ValueError saying
    which keys there are for anything else."""
    if value and value not in FILTER_KEYS:
        raise ValueError(f"Unknown status {value!r}: use one of {', '.join(FILTER_KEYS)}.")
    return value


def results_in_order(batch: Batch, *, status: str = "") -> QuerySet:
    """The batch's results in submission order, as tuples of COLUMNS as stored; only those of
    `status` (one of FILTER_KEYS) if given."""
    return _in_order(batch, status=status).values_list(*COLUMNS)


def _in_order(batch: Batch, *, status: str) -> QuerySet:
    results = Result.objects.filter(batch_id=batch.pk)
    return (results.with_status(status) if status else results).order_by("position")


def result_data(row: tuple) -> dict:
    """A result as JSON has it, the API and the export alike, from a row of results_in_order():
    `lines` as a list of numbers, where CSV has them as the stored text ("3,17")."""
    return _data_of(_row_out(row))


def _data_of(cells: list) -> dict:
    """result_data() of a row whose times are written already."""
    data = dict(zip(COLUMNS, cells, strict=True))
    data["lines"] = [int(number) for number in data["lines"].split(",") if number]
    return data


def rows_written(batch: Batch, *, status: str = "") -> Iterator[list]:
    """The rows of results_in_order() with their times in ISO 8601, as _row_out() gives them,
    read a chunk at a time through a plain cursor (server-side on PostgreSQL).

    An export reads every row of a batch: through the ORM, each of SQLite's times was made
    aware, then converted to UTC, only to be written out again, a third of the export's time.
    """
    sql, params = results_in_order(batch, status=status).query.sql_with_params()
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(FETCH_SIZE):
            yield from map(_stored_out, rows)


def batch_data(batch: Batch) -> dict:
    """A batch's state and counts as JSON has it: the API's batch and the JSON export's header."""
    return {
        "id": str(batch.pk),
        # The owner's name ("" for none), and the name the pages show: it, or one made of the
        # first entries.
        "name": batch.name,
        "display_name": batch.display_name,
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
        # Keyed as ?status= names them, so that a count and its listing share one name.
        "counts": {str(key): batch.count_of(key) for key in FILTER_KEYS},
        "source": _source_data(batch),
        "parent": str(batch.parent_id) if batch.parent_id else None,
    }


def _source_data(batch: Batch) -> dict | None:
    """Where the batch's list lives on the wiki, or None for a list the user gave."""
    if not batch.source_kind:
        return None
    namespaces = [int(number) for number in batch.source_namespaces.split(",") if number]
    return {"kind": batch.source_kind, "title": batch.source, "namespaces": namespaces}


def csv_chunks(batch: Batch, *, status: str = "") -> Iterator[bytes]:
    """UTF-8 CSV with a byte order mark and a header row; formula-like cells neutralised.
    Only the results of `status` (one of FILTER_KEYS) if given."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow(COLUMNS)
    for rows in _chunked(rows_written(batch, status=status)):
        writer.writerows(map(_csv_cells, rows))
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode()


def csv_cell(value):
    """The value as a spreadsheet should show it: text that would start a formula gets a `'`,
    and a flag is `true` or `false`, as in JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _csv_cells(cells: list) -> list:
    """A row of rows_written() as CSV has it: csv_cell() of each value, given only the values
    it changes (a million-row export would otherwise call it twenty million times)."""
    for index in TEXTS:
        if cells[index].startswith(FORMULA_PREFIXES):
            cells[index] = csv_cell(cells[index])
    cells[FLAG] = csv_cell(cells[FLAG])
    return cells


def json_chunks(batch: Batch, *, status: str = "") -> Iterator[bytes]:
    """One UTF-8 JSON document, `{"batch": {...}, "results": [{...}, ...]}`, built in pieces.
    Only the results of `status` (one of FILTER_KEYS) if given; the batch's counts are all."""
    separator = "\n"
    yield f'{{"batch": {_json(batch_data(batch))}, "results": ['.encode()
    for rows in _chunked(rows_written(batch, status=status)):
        pieces = []
        for cells in rows:
            pieces.append(separator + _json(_data_of(cells)))
            separator = ",\n"
        yield "".join(pieces).encode()
    yield b"\n]}\n"


def export_filename(batch: Batch, extension: str, *, status: str = "") -> str:
    """`wikicheck-<first 8 characters of the id>-<creation time, UTC>.<extension>`, with
    `-<status>` before the extension for the results of one status."""
    created = batch.created_at.astimezone(UTC).strftime("%Y%m%d-%H%M")
    only = f"-{status}" if status else ""
    return f"wikicheck-{str(batch.pk)[:8]}-{created}{only}.{extension}"


def iso_utc(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with milliseconds, e.g. `2025-01-31T12:00:00.250Z`; None stays None."""
    if moment is None:
        return None
    # The database gives times in UTC already: no conversion, twice a row of an export.
    utc = moment if moment.tzinfo is UTC else moment.astimezone(UTC)
    return utc.isoformat(timespec="milliseconds").removesuffix("+00:00") + "Z"


def _row_out(row: tuple) -> list:
    """A row of results_in_order() with its times in ISO 8601."""
    cells = list(row)
    for index in TIMES:
        cells[index] = iso_utc(cells[index])
    return cells


def _stored_out(row: tuple) -> list:
    """_row_out() of a row as the database gives it: PostgreSQL's times are aware datetimes,
    SQLite's naive ones in UTC (Django stores them so), and SQLite's flag is 0 or 1."""
    cells = list(row)
    for index in TIMES:
        value = cells[index]
        if value is not None and value.tzinfo is None:
            cells[index] = value.isoformat(timespec="milliseconds") + "Z"
        else:
            cells[index] = iso_utc(value)
    if cells[FLAG] is not None:
        cells[FLAG] = bool(cells[FLAG])
    return cells


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def _chunked(rows: Iterable[tuple]) -> Iterator[list[tuple]]:
    rows = iter(rows)
    while chunk := list(itertools.islice(rows, ROWS_PER_CHUNK)):
        yield chunk


def titles_chunks(batch: Batch, *, status: str = "") -> Iterator[bytes]:
    """The results' titles, one per line in submission order; only `status`'s if given."""
    titles = _in_order(batch, status=status).values_list("title", flat=True)
    for rows in _chunked(titles.iterator(chunk_size=FETCH_SIZE)):
        yield "".join(f"{title}\n" for title in rows).encode()
