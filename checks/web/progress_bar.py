"""The batch page's bar: the batch's pages split by what became of them, as SVG widths."""

from typing import NamedTuple

from checks.models import Batch


class Segment(NamedTuple):
    """One status's share of the bar, in percent of the batch, and where it starts."""

    key: str
    label: str
    count: int
    start: float
    width: float


def bar_segments(batch: Batch) -> list[Segment]:
    """The bar's segments in reading order; each page is in exactly one (disambiguation pages
    are taken out of the pages that exist), and empty ones are left out."""
    shares = (
        ("exists", "Exist", batch.exists_count - batch.disambiguation_count),
        ("disambiguation", "Disambiguation", batch.disambiguation_count),
        ("missing", "Do not exist", batch.missing_count),
        ("unknown", "Unknown", batch.unknown_count),
        ("error", "Error", batch.error_count),
        ("invalid", "Invalid title", batch.invalid_count),
        ("pending", "Pending", batch.pending_count),
        ("cancelled", "Not checked", batch.cancelled_count),
    )
    segments, start = [], 0.0
    for key, label, count in shares:
        if count > 0:
            width = 100 * count / max(batch.total, 1)
            segments.append(Segment(key, label, count, round(start, 3), round(width, 3)))
            start += width
    return segments
