"""`checkpages --list`: a user's saved list found by its name and run, and the run's changes
against the list's previous finished run told as text."""

from django.contrib.auth.models import AbstractBaseUser
from django.core.management.base import CommandError
from django.template.defaultfilters import pluralize
from django.utils import timezone

from checks.engine.heartbeat import process_start
from checks.management.commands._exits import EXIT_USAGE
from checks.models import Batch, CheckProcess, SavedList
from checks.watch.changes import Changes, batch_changes
from checks.watch.lists import list_run

# The options naming the pages to check, or how: a saved list has its own.
LIST_EXCLUDES = {
    "file": "FILE",
    "links_of": "--links-of",
    "category": "--category",
    "namespaces": "--namespaces",
    "wiki": "--wiki",
    "mode": "--mode",
    "timeout": "--timeout",
}
# How many of the user's lists an unknown name's message spells out.
LISTS_NAMED = 10


def list_start(*, owner: AbstractBaseUser, options: dict) -> Batch:
    """Start a run of the owner's list that --list names, in this process; a usage error for
    options that would contradict the list, or an unknown name. Raises what list_run raises
    (RunStillGoing, RunRefused, QuotaExceeded, HostsNotAllowed)."""
    refused = [option for name, option in LIST_EXCLUDES.items() if options[name] not in (None, "")]
    if refused:
        raise CommandError(
            f"--list runs the list as it is saved: leave out {', '.join(refused)}.",
            returncode=EXIT_USAGE,
        )
    saved_list = SavedList.objects.filter(owner=owner, name=options["list"]).first()
    if saved_list is None:
        raise CommandError(_unknown(owner=owner, name=options["list"]), returncode=EXIT_USAGE)
    # Registered before the run exists, as checkpages does for a file (see there).
    process_start(kind=CheckProcess.Kind.CHECKPAGES)
    return list_run(saved_list=saved_list)


def _unknown(*, owner: AbstractBaseUser, name: str) -> str:
    lists = SavedList.objects.filter(owner=owner).values_list("name", flat=True)
    names = [f"“{other}”" for other in lists[:LISTS_NAMED]]
    if not names:
        return f"{owner.get_username()} has no list named “{name}”, nor any other list."
    total = lists.count() if len(names) == LISTS_NAMED else len(names)
    more = f" (and {total - LISTS_NAMED:,} more)" if total > LISTS_NAMED else ""
    return (
        f"{owner.get_username()} has no list named “{name}”. Their lists: {', '.join(names)}{more}."
    )


def changes_told(batch: Batch) -> tuple[str, int]:
    """The run's changes as lines of text, and how many pages changed."""
    changes = batch_changes(batch=batch)
    if changes is None:
        return "First run of the list: nothing to compare with.", 0
    since = _when(changes)
    if not changes.pages:
        return f"No changes since {since}.", 0
    lines = [f"{changes.pages} change{pluralize(changes.pages)} since {since}:"]
    lines += [
        f"{kind} {change.title}: {change.before} -> {change.after} {change.url}"
        for kind, _, group in changes.groups()
        for change in group
    ]
    return "\n".join(lines), changes.pages


def _when(changes: Changes) -> str:
    """When the run compared with ended, in the server's time zone, as the e-mail says it."""
    against = changes.against
    return timezone.localtime(against.finished_at or against.created_at).strftime(
        "%Y-%m-%d %H:%M %Z"
    )
