"""What changed between a batch and the one it checks again: pages now missing, now existing,
newly redirected or with a changed target, newly a disambiguation page, newly failing."""

# One query, whatever the size: the database reads the two batches' rows once, groups them by
# their canonical URL (a URL is in a batch once) and keeps the pairs that differ. A join would be
# as short to write, but with the statistics of a batch just stored (none yet), PostgreSQL and
# SQLite both plan it as a nested loop, 100,000 by 100,000 comparisons; grouping sorts or hashes
# whatever the statistics say. Rows not checked in both (pending, cancelled) are left out.

from dataclasses import asdict, dataclass, field

from django.db import connection

from checks.models import Batch, Result

FAILING = (Result.Status.ERROR, Result.Status.UNKNOWN)
STATUS_LABELS = dict(Result.Status.choices)
# The kinds of change, in the order the batch page and the JSON API list them.
KINDS = ("now_missing", "now_exists", "redirect_changed", "now_disambiguation", "now_failing")
LABELS = {
    "now_missing": "Now missing",
    "now_exists": "Now existing",
    "redirect_changed": "Newly a redirect, or to another target",
    "now_disambiguation": "Newly a disambiguation page",
    "now_failing": "Newly failing",
}


@dataclass(frozen=True)
class Change:
    """One page that changed: what it was before, and what it is now."""

    url: str
    title: str
    before: str
    after: str

    @property
    def link_url(self) -> str:
        """The URL to link to, or "" for anything but http(s)."""
        return self.url if self.url.startswith(("https://", "http://")) else ""


@dataclass
class Changes:
    """A batch's changes against the batch it checks again (`against`), by kind."""

    against: Batch
    by_kind: dict[str, list[Change]] = field(default_factory=lambda: {kind: [] for kind in KINDS})

    @property
    def pages(self) -> int:
        """How many pages changed in some way (a page may change in more than one)."""
        return len({change.url for changes in self.by_kind.values() for change in changes})

    def groups(self) -> list[tuple[str, str, list[Change]]]:
        """(kind, label, changes) for each kind with changes, in KINDS order."""
        return [(kind, LABELS[kind], self.by_kind[kind]) for kind in KINDS if self.by_kind[kind]]


def batch_changes(*, batch: Batch) -> Changes | None:
    """The changes of `batch` against its parent, once it has ended; None while it runs (a page
    polling it pays nothing) or when it checks no batch again (or the parent was deleted).
    Pages in only one of the two are not changes."""
    if batch.parent_id is None or batch.is_running:
        return None
    changes = Changes(against=batch.parent)
    for row in _differing_pairs(batch_id=batch.pk, against_id=batch.parent_id):
        for kind, before, after in _kinds(*row[2:]):
            changes.by_kind[kind].append(
                Change(url=row[0], title=row[1], before=before, after=after)
            )
    return changes


def _differing_pairs(*, batch_id, against_id) -> list[tuple]:
    """(url, title, status, target, disambiguation, before's three) per page checked in both
    batches whose status, redirect target or disambiguation differs, in the batch's order."""
    quote = connection.ops.quote_name
    table, batch_column = quote(Result._meta.db_table), quote("batch_id")
    batch_field = Result._meta.get_field("batch")
    now, before = (batch_field.get_db_prep_value(pk, connection) for pk in (batch_id, against_id))
    # Each pair's values, taken from the row of one batch or the other.
    picked = (
        ("title", now, "title"),
        ("status", now, "status"),
        ("target", now, "redirect_target"),
        ("flag", now, "CASE WHEN disambiguation THEN 1 ELSE 0 END"),
        ("was_status", before, "status"),
        ("was_target", before, "redirect_target"),
        ("was_flag", before, "CASE WHEN disambiguation THEN 1 ELSE 0 END"),
        ("position", now, "position"),
    )
    columns = ", ".join(
        f"MAX(CASE WHEN {batch_column} = %s THEN {value} END) AS {name}"
        for name, _, value in picked
    )
    checked = ", ".join(["%s"] * len(Result.CHECKED_STATUSES))
    sql = f"""
        SELECT url, title, status, target, flag, was_status, was_target, was_flag
        FROM (
            SELECT url, {columns}, COUNT(*) AS batches FROM {table}
            WHERE {batch_column} IN (%s, %s) AND status IN ({checked})
            GROUP BY url
        ) pairs
        WHERE batches = 2
          AND (status <> was_status OR target <> was_target OR flag <> was_flag)
        ORDER BY position
    """
    params = [*(batch for _, batch, _ in picked), now, before, *Result.CHECKED_STATUSES]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _kinds(status, target, disambiguation, was_status, was_target, was_disambiguation):
    """(kind, before, after) for each way one page changed."""
    label = STATUS_LABELS
    if status == Result.Status.MISSING and was_status != Result.Status.MISSING:
        yield "now_missing", label[was_status], label[status]
    if status == Result.Status.EXISTS and was_status != Result.Status.EXISTS:
        yield "now_exists", label[was_status], label[status]
    if target and target != was_target:
        yield "redirect_changed", was_target or "(no redirect)", target
    if disambiguation and not was_disambiguation:
        yield "now_disambiguation", "not a disambiguation page", "disambiguation page"
    if status in FAILING and was_status not in FAILING:
        yield "now_failing", label[was_status], label[status]


def changes_data(changes: Changes, *, limit: int | None = None) -> dict:
    """The changes as JSON has them (the API, a webhook's body): by kind, each page with its
    url, title, before and after, at most `limit` a kind; and the batch they are against."""
    return {
        **{kind: [asdict(change) for change in changes.by_kind[kind][:limit]] for kind in KINDS},
        "against": str(changes.against.pk),
    }
