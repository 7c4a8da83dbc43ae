"""What `checkpages` tells on stderr when its batch ends: the counts, the time it took and the
titles that need a look; or, interrupted, how much was checked and where it was written."""

from django.template.defaultfilters import pluralize

from checks.models import TALLIES, Batch, Result

# Titles named at most: enough to act on a few at once; the results have them all.
TITLES_NAMED = 20
# The results that need a look, named in this order.
LOOK_STATUSES = (Result.Status.MISSING, Result.Status.ERROR, Result.Status.UNKNOWN)
# Counts are named by their ?status= keys, as in the JSON, but for the unchecked, which the batch
# page calls "Not checked": "cancelled" would read as if the pages were.
COUNT_NAMES = {Result.Status.CANCELLED: "not checked"}


def summary_told(batch: Batch) -> str:
    """The settled batch's counts and time on one line, then the titles that need a look."""
    counts = [
        f"{batch.count_of(key)} {COUNT_NAMES.get(key, key)}"
        for key, _, _, _ in TALLIES
        if batch.count_of(key)
    ]
    pages = f"{batch.total} page{pluralize(batch.total)}"
    headline = (
        f"Batch {batch.pk} {batch.get_status_display().lower()}: {pages} in "
        f"{batch.elapsed_seconds:.1f} s ({', '.join(counts)}); {batch.get_absolute_url()}"
    )
    return "\n".join([headline, *_titles(batch)])


def interruption_told(batch: Batch, *, written_to: str) -> str:
    """One line: how many pages were checked before Ctrl-C, and where the results went (the
    batch is cancelled, or finished if the interruption came as its last check did)."""
    unchecked = batch.cancelled_count
    rest = f", the other {unchecked:,} as not checked" if unchecked else ""
    return (
        f"Interrupted: {batch.done:,} of {batch.total:,} page{pluralize(batch.total)} checked, "
        f"written to {written_to}{rest}; batch {batch.pk} {batch.get_status_display().lower()}."
    )


def _titles(batch: Batch) -> list[str]:
    """A line per title that needs a look, TITLES_NAMED at most, under a heading."""
    needing = sum(batch.count_of(status) for status in LOOK_STATUSES)
    if not needing:
        return []
    named: list[str] = []
    for status in LOOK_STATUSES:
        room = TITLES_NAMED - len(named)
        if room and batch.count_of(status):
            results = batch.results.filter(status=status).order_by("position")
            named += [
                f"  {status.value:<7}  {title}" + (f" — {error}" if error else "")
                for title, error in results.values_list("title", "error")[:room]
            ]
    more = [f"  … and {needing - len(named):,} more"] if needing > len(named) else []
    return ["Missing or failed:", *named, *more]
