"""The saved-list operations: save (create or edit), run now, and delete with or without its
runs. A list's run is an ordinary batch, checked against the list's previous finished run."""

from collections.abc import Sequence
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from checks import conf
from checks.batches import batch_create, batch_delete, source_read_again
from checks.engine.workqueue import write_transaction
from checks.intake.parsing import Entry, entries_merge, entry_parse
from checks.intake.reading import lines_numbered
from checks.intake.sources import SourcePages, SourceUnreadable
from checks.models import NAME_LENGTH, Batch, SavedList
from checks.watch.changes import batch_changes

# How many of a list's refused lines a message spells out.
LINES_SHOWN = 3
# The fields list_save() takes, as the list stores them.
LIST_FIELDS = (
    "name",
    "entries",
    "source_kind",
    "source",
    "source_namespaces",
    "wiki",
    "mode",
    "timeout",
    "schedule",
    "webhook",
)


class RunRefused(ValueError):
    """A list that cannot be run now; the message says why, and nothing was stored."""


class NameTaken(ValueError):
    """The owner already has a list of that name (saved a moment ago, by another request)."""


class RunStillGoing(RunRefused):
    """The list's previous run has not ended: a second one would check the same pages twice."""


# --- Save, delete ------------------------------------------------------------------------------


def list_save(
    *, owner: AbstractBaseUser, saved_list: SavedList | None = None, **fields
) -> SavedList:
    """Create a list (`saved_list` None) or change one; its schedule counts from now when it is
    new or changed. `fields` are LIST_FIELDS."""
    unknown = set(fields) - set(LIST_FIELDS)
    if unknown:
        raise TypeError(f"list_save() got unknown fields: {', '.join(sorted(unknown))}")
    saved_list = saved_list or SavedList(owner=owner)
    schedule_changed = saved_list.pk is None or fields.get("schedule", saved_list.schedule) != (
        saved_list.schedule
    )
    for name, value in fields.items():
        setattr(saved_list, name, value)
    if schedule_changed:
        saved_list.next_run_at = schedule_next(saved_list=saved_list, after=timezone.now())
        saved_list.schedule_note = ""
    try:
        with transaction.atomic():
            saved_list.save()
    except IntegrityError:
        # The form looked for the name before; a request sent twice at once gets here.
        raise NameTaken(f"You already have a list named “{saved_list.name}”.") from None
    return saved_list


def list_adopt(*, saved_list: SavedList, batch: Batch) -> None:
    """Make `batch` (a batch the list was saved from) the list's first run, so that the list's
    next run is told what changed since; a batch already a run of another list stays its. The
    changes of one that has ended (a re-run's) are counted now and told to no one: the list did
    not exist; one still running is noticed as any run once it ends."""
    changes = batch_changes(batch=batch)
    count = None if batch.is_running else changes.pages if changes else 0
    Batch.objects.filter(pk=batch.pk, saved_list__isnull=True).update(
        saved_list=saved_list, changes_count=count
    )


def list_delete(*, saved_list: SavedList, runs: bool) -> int:
    """Delete a list, and its runs too if `runs` (running ones cancelled first); kept runs stay
    in the history as ordinary batches. Returns how many runs were deleted."""
    deleted = 0
    if runs:
        for batch in saved_list.runs.all():
            batch_delete(batch=batch)
            deleted += 1
    saved_list.delete()
    return deleted


def schedule_next(*, saved_list: SavedList, after: datetime) -> datetime | None:
    """When the schedule is due next after `after`; None for a list run by hand."""
    interval = saved_list.interval
    return None if interval is None else after + interval


# --- Run ---------------------------------------------------------------------------------------


def list_run(*, saved_list: SavedList) -> Batch:
    """Start a run of the list: a batch of its pages (its source read again), linked to the list
    and to its previous finished run, whose changes it will show. Raises RunStillGoing while a
    run has not ended, RunRefused when the list cannot be checked as it is (QuotaExceeded when
    its owner is over a limit)."""
    if saved_list.source_kind:
        pages = {"source": _source(saved_list)}
    else:
        entries, duplicates = _entries(saved_list)
        pages = {"entries": entries, "duplicates": duplicates}
    with write_transaction():
        # The list's row is locked while its runs are looked at, so two "Run now" at once (a
        # double click, a schedule beside a script) start one run.
        SavedList.objects.select_for_update().filter(pk=saved_list.pk).exists()
        if saved_list.runs.filter(status=Batch.Status.RUNNING).exists():
            raise RunStillGoing(f"The list “{saved_list.name}” is still being checked.")
        return batch_create(
            owner=saved_list.owner,
            wiki=saved_list.wiki,
            mode=saved_list.mode,
            timeout=saved_list.timeout,
            parent=saved_list.runs.filter(status=Batch.Status.FINISHED).first(),
            saved_list=saved_list,
            # The history then names each run after its list.
            name=saved_list.name[:NAME_LENGTH],
            **pages,
        )


def _entries(saved_list: SavedList) -> tuple[Sequence[Entry], int]:
    """The list's distinct entries, and how many lines were duplicates; RunRefused when a line
    is refused now (its host left the allow-list, say)."""
    config = conf.current()
    numbered = list(lines_numbered(saved_list.entries))
    if not numbered:
        raise RunRefused(f"The list “{saved_list.name}” has no pages.")
    if len(numbered) > config.max_batch:
        raise RunRefused(
            f"The list “{saved_list.name}” has {len(numbered):,} entries; a batch holds at most "
            f"{config.max_batch:,}."
        )
    parsed, refused = [], []
    for number, line in numbered:
        try:
            parsed.append(
                entry_parse(
                    line, wiki=saved_list.wiki, allowed_hosts=config.allowed_hosts, lines=(number,)
                )
            )
        except ValueError as exc:
            refused.append(f"line {number}: {exc}")
    if refused:
        shown = "; ".join(refused[:LINES_SHOWN])
        more = f" (and {len(refused) - LINES_SHOWN:,} more)" if len(refused) > LINES_SHOWN else ""
        raise RunRefused(f"The list “{saved_list.name}” has lines refused now: {shown}{more}.")
    entries = entries_merge(parsed)
    return entries, len(numbered) - len(entries)


def _source(saved_list: SavedList) -> SourcePages:
    try:
        return source_read_again(
            kind=saved_list.source_kind,
            text=saved_list.source,
            wiki=saved_list.wiki,
            namespaces=saved_list.source_namespaces,
        )
    except (SourceUnreadable, ValueError) as exc:
        raise RunRefused(f"The list “{saved_list.name}” could not be read: {exc}") from None
