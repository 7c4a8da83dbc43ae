"""History search with a time budget: a user's batches (their names and pages) are searched
newest first, in slices of a bounded number of result rows, until all are searched, the budget
runs out or enough matches are found. The answer says how far back it got."""

# So a search of a long history holds a server thread for about the budget (plus one slice) at
# most, and still shows the newest matches.

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils import formats

from checks.models import Batch
from checks.querysets import BatchQuerySet

# Result rows one query searches at most (fewer than one slice only for a larger batch): a few
# tens of milliseconds, the most a search may overrun its budget.
SLICE_ROWS = 20_000
SLICE_BATCHES = 500
# Batches (id, date, size) read at once to cut the slices from.
HEADERS_PER_READ = 1000
# More matches than this are not shown: a search that common says to narrow it instead.
MATCHES_MAX = 1000


@dataclass(frozen=True)
class HistorySearch:
    """The batches that matched, newest first, and how much of the history was searched."""

    batches: list[Batch]
    searched: int
    complete: bool
    oldest_searched: datetime | None

    @property
    def note(self) -> str:
        """What a person should know about a search that stopped early; "" when it did not."""
        if self.complete:
            return ""
        if len(self.batches) >= MATCHES_MAX:
            return (
                f"Showing the newest {MATCHES_MAX:,} matching batches; narrow the search or "
                "the dates to see older ones."
            )
        oldest = formats.date_format(self.oldest_searched, "DATETIME_FORMAT")
        return (
            f"Searched your newest {self.searched:,} batches (back to {oldest}) in the time a "
            "search may take; narrow the dates to search older ones."
        )


def history_search(*, batches: BatchQuerySet, text: str, budget_ms: int) -> HistorySearch:
    """The batches among `batches` whose name or a result's URL or title contains `text`
    (BatchQuerySet.mentioning), searched newest first for about `budget_ms` milliseconds (the
    first slice always runs, so the newest matches come back however tight the budget)."""
    deadline = time.monotonic() + budget_ms / 1000
    newest_first = batches.order_by("-created_at", "-pk")
    found: list[Batch] = []
    searched = 0
    slices = _slices(newest_first)
    for ids, oldest in slices:
        matching = newest_first.filter(pk__in=ids).mentioning(text)
        found += matching
        searched += len(ids)
        if len(found) >= MATCHES_MAX or time.monotonic() >= deadline:
            complete = len(found) <= MATCHES_MAX and next(slices, None) is None
            return HistorySearch(found[:MATCHES_MAX], searched, complete, oldest)
    return HistorySearch(found, searched, True, None)


def _slices(newest_first: BatchQuerySet) -> Iterator[tuple[list, datetime]]:
    """Batch ids, newest first, in slices of at most SLICE_ROWS result rows (or one batch) and
    SLICE_BATCHES batches, each with the creation time of its oldest batch."""
    headers = newest_first.values_list("pk", "created_at", "total")
    ids: list = []
    rows, oldest = 0, None
    while True:
        read = list(headers[:HEADERS_PER_READ])
        for pk, created_at, total in read:
            if ids and (rows + total > SLICE_ROWS or len(ids) == SLICE_BATCHES):
                yield ids, oldest
                ids, rows = [], 0
            ids.append(pk)
            rows += total
            oldest = created_at
        if len(read) < HEADERS_PER_READ:
            break
        pk, created_at, _ = read[-1]
        headers = newest_first.filter(
            Q(created_at__lt=created_at) | Q(created_at=created_at, pk__lt=pk)
        ).values_list("pk", "created_at", "total")
    if ids:
        yield ids, oldest
