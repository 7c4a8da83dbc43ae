"""Fire the saved lists' due schedules from cron: each due run started, checked here with the
threads backend, its changes counted and the e-mails and webhooks they call for sent."""

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.template.defaultfilters import pluralize
from django.utils import timezone

from checks.batches import batch_cancel
from checks.engine.backends import backend
from checks.engine.backends.threads import ThreadsBackend
from checks.engine.heartbeat import process_start
from checks.engine.writer import stores_wait
from checks.management.commands._exits import (
    Terminated,
    interrupted_exit,
    terminate_interrupts,
)
from checks.management.commands.checkpages import POLL_MAX_SECONDS
from checks.models import Batch, CheckProcess, SavedList
from checks.watch.deliveries import deliveries_send
from checks.watch.notices import runs_notice
from checks.watch.schedules import schedules_fire


class Command(BaseCommand):
    help = (
        "With --due: start one run of each saved list whose schedule is due, wait for the runs "
        "(checked in this process; with WIKICHECK_BACKEND=celery the workers check them and "
        "this command does not wait), count the changes of the runs that finished and send the "
        "e-mails and webhooks they call for, then print a line per run and per list whose due "
        "run did not start. Safe to run from cron every few minutes beside running servers and "
        "workers: a due run is claimed once, by whichever process comes first (set "
        "WIKICHECK_LISTS_IN_SWEEP=false on the servers to leave the schedules to cron alone). "
        "Exit codes: 0 done, 2 without --due (the usage is printed), 130 interrupted by Ctrl-C "
        "or 143 by SIGTERM (the runs still going are cancelled; the checks made are stored)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        # Required, so that a bare `runlists` prints the usage rather than doing nothing.
        parser.add_argument(
            "--due", action="store_true", required=True, help="fire the schedules that are due now"
        )
        parser.add_argument(
            "--quiet",
            action="store_true",
            help="no line for the runs; lists whose due run did not start are still named on "
            "stderr",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # Registered before any run exists, so the rows of a process that died on this machine
        # are back in the queue first; as a one-off process, its own sweeps fire no schedule.
        process_start(kind=CheckProcess.Kind.CHECKPAGES)
        now = timezone.now()
        due = _due(now)
        runs = schedules_fire(now=now)
        # Read now: a list may be deleted while its run is checked, the run kept.
        names = {batch.pk: batch.saved_list.name for batch in runs}
        # Celery's workers check the runs, however long they take; cron need not wait for them.
        if isinstance(backend(), ThreadsBackend):
            self._settle(runs)
        # Until none is left, so that each run's line can say its changes; each is noticed once.
        while runs_notice():
            pass
        # Each due delivery tried once: one that fails now is due again only after `sent_at`.
        sent_at = timezone.now()
        while deliveries_send(now=sent_at):
            pass
        if not options["quiet"]:
            self._runs_told(names, due=due)
        # Of the due lists that this call did not start, those claimed (here or by another
        # process) whose run did not start: their note says why.
        not_started = (
            SavedList.objects.filter(pk__in=due, next_run_at__gt=now)
            .exclude(pk__in=[batch.saved_list_id for batch in runs])
            .exclude(schedule_note="")
        )
        for saved_list in not_started:
            # Plain text: it is news, not a failure of this command.
            self.stderr.write(
                f"{saved_list.name}: {saved_list.schedule_note}", style_func=lambda text: text
            )

    def _settle(self, runs: list[Batch]) -> None:
        """Read the runs again as outcomes are stored until each is settled; interrupted,
        cancel those still going."""
        waiting, stores = list(runs), 0
        try:
            with terminate_interrupts():
                while waiting:
                    for batch in waiting:
                        batch.refresh_from_db()
                    waiting = [batch for batch in waiting if not batch.is_settled]
                    if waiting:
                        stores = stores_wait(after=stores, timeout=POLL_MAX_SECONDS)
        except (KeyboardInterrupt, Terminated) as exc:
            cancelled = sum(batch_cancel(batch=batch) for batch in waiting)
            raise CommandError(
                f"Interrupted: {cancelled} run{pluralize(cancelled)} cancelled; the checks "
                "already made are stored.",
                returncode=interrupted_exit(exc),
            ) from None

    def _runs_told(self, names: dict, *, due: list[int]) -> None:
        """A line per run, as it is now, named by its list."""
        if not due:
            self.stdout.write("No list was due.")
        for batch in Batch.objects.filter(pk__in=names):
            self.stdout.write(f"{names[batch.pk]}: batch {batch.pk} {_outcome(batch)}")


def _due(now: datetime) -> list[int]:
    """The lists whose schedule is due at `now`."""
    return list(SavedList.objects.due(now).values_list("pk", flat=True))


def _outcome(batch: Batch) -> str:
    if batch.is_running:
        return "started; the workers check it"
    if batch.status != Batch.Status.FINISHED:
        return batch.get_status_display().lower()
    if batch.parent_id is None:
        return "finished, the list's first run"
    if batch.changes_count is None:
        return "finished"
    changes = batch.changes_count
    return f"finished, {changes} change{pluralize(changes)}"
