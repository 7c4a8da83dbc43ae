"""Check a list of pages from a script: the web form's pipeline, with the results on stdout; or
run a saved list, and tell its changes."""

import sys
from argparse import ArgumentTypeError
from contextlib import suppress
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import CommandError, CommandParser
from django.template.defaultfilters import pluralize
from tqdm import tqdm

from checks import conf
from checks.batches import HostsNotAllowed, batch_cancel, batch_create
from checks.engine.heartbeat import process_start
from checks.engine.writer import stores_wait
from checks.intake.reading import UnreadableText, text_decode
from checks.management.commands._exits import (
    EXIT_USAGE,
    PlainExit,
    PlainExitCommand,
    Terminated,
    interrupted_exit,
    terminate_interrupts,
)
from checks.management.commands._lists import changes_told, list_start
from checks.management.commands._output import results_write
from checks.management.commands._summary import interruption_told, summary_told
from checks.models import Batch, CheckProcess, Result
from checks.quotas import QuotaExceeded
from checks.watch.lists import RunRefused
from checks.web.forms import BatchForm

# What --fail-on accepts: the statuses but "exists", and "disambiguation", which is counted
# within "exists" (a disambiguation page, or a redirect to one, is a link to fix too).
FAIL_ON_STATUSES = (
    *(status.value for status in Result.CHECKED_STATUSES if status != Result.Status.EXISTS),
    "disambiguation",
)
# The batch is read again each time this process's writer stores a round of outcomes, and at
# least this often (a batch checked elsewhere: Celery workers, another process's pool).
POLL_MAX_SECONDS = 1.0
# Exit codes besides _exits': 1 is left to --fail-on and --fail-on-change, so a script can tell
# "pages are missing" or "pages changed" from a mistake.
EXIT_FAILED_ON = 1
# The command-line option each form field comes from, to name it in error messages.
FORM_FIELD_OPTIONS = {"urls": "FILE"} | {
    name: "--" + name.replace("_", "-")
    for name in ("links_of", "category", "namespaces", "wiki", "mode", "timeout")
}


class Command(PlainExitCommand):
    help = (
        "Check the pages listed in FILE (one URL or title per line, as in the web form, or a "
        ".csv file's first column, as the form's upload; '-' reads stdin), or every link of a "
        "page (--links-of) or member of a category (--category), as a batch owned by "
        "--user, stored in its history, and write the results "
        "as CSV or JSON. Or run the user's saved list NAME (--list), as a run of it, and tell "
        "on stderr what changed since its previous finished run. Exit codes: 0 done, 1 a status "
        "named by --fail-on occurred (or a page changed, with --fail-on-change), 2 invalid "
        "input or options, the user over a quota (nothing stored), or the list's last run still "
        "going, 130 interrupted by Ctrl-C or 143 by SIGTERM (the batch is cancelled; the checks "
        "made are stored and written, the rest as not checked)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file",
            metavar="FILE",
            nargs="?",
            help="the list of pages: lines of text, or a .csv file's first column with an "
            "optional url/title header; '-' reads text from stdin",
        )
        parser.add_argument(
            "--links-of", metavar="TITLE", help="check every page this page (title or URL) links to"
        )
        parser.add_argument(
            "--namespaces",
            default="",
            help="with --links-of: only links in these comma-separated namespaces, e.g. 0,14",
        )
        parser.add_argument(
            "--category", metavar="TITLE", help="check every member of this category"
        )
        parser.add_argument(
            "--list",
            metavar="NAME",
            help="run the user's saved list NAME, as saved (its pages or source, wiki, mode and "
            "timeout), and tell its changes since its previous finished run",
        )
        parser.add_argument(
            "--user",
            help="the user owning the batch (default: the only superuser, if there is one)",
        )
        parser.add_argument("--wiki", help="article path for bare titles (default: the setting)")
        parser.add_argument(
            "--mode",
            choices=Batch.Mode.values,
            help="api: up to 50 titles per request where the wiki has an API (default); "
            "page: one request per page",
        )
        parser.add_argument("--timeout", type=float, help="per-request timeout in seconds")
        parser.add_argument(
            "--format", choices=("csv", "json"), default="csv", help="of the results (default: csv)"
        )
        parser.add_argument("--output", default="-", help="file to write (default: stdout)")
        parser.add_argument(
            "--fail-on",
            type=_statuses,
            default=(),
            metavar="STATUSES",
            help="exit with 1 if any result has one of these comma-separated statuses: "
            + ",".join(FAIL_ON_STATUSES)
            + " (disambiguation: a disambiguation page, or a redirect to one)",
        )
        parser.add_argument(
            "--fail-on-change",
            action="store_true",
            help="with --list: exit with 1 if any page changed since the list's previous run",
        )
        parser.add_argument(
            "--quiet",
            action="store_true",
            help="no progress bar, no summary and no changes on stderr (as -v 0)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        quiet = options["quiet"] or options["verbosity"] == 0
        owner = _owner(options["user"])
        try:
            if options["list"] is None:
                batch = self._batch_start(owner, options, quiet=quiet)
            else:
                batch = list_start(owner=owner, options=options)
        except (QuotaExceeded, HostsNotAllowed, RunRefused) as exc:
            raise CommandError(f"Nothing was stored: {exc}", returncode=EXIT_USAGE) from None
        try:
            with terminate_interrupts():
                self._wait(batch, progress=not quiet and self.stderr.isatty())
        except (KeyboardInterrupt, Terminated) as exc:
            raise self._interrupted(batch, options, returncode=interrupted_exit(exc)) from None
        self._write(batch, options)
        changes, changed = changes_told(batch) if options["list"] else ("", 0)
        if not quiet:
            # Plain text: it is news, not an error, though stderr's default style is red.
            self.stderr.write(summary_told(batch), style_func=lambda text: text)
            if changes:
                self.stderr.write(changes, style_func=lambda text: text)
        failed = {status: batch.count_of(status) for status in options["fail_on"]}
        if any(failed.values()):
            found = ", ".join(f"{count} {status}" for status, count in failed.items() if count)
            raise PlainExit(f"Failing as --fail-on asks: {found}.", returncode=EXIT_FAILED_ON)
        if changed and options["fail_on_change"]:
            raise PlainExit(
                f"Failing as --fail-on-change asks: {changed} page{pluralize(changed)} changed.",
                returncode=EXIT_FAILED_ON,
            )

    def _interrupted(self, batch: Batch, options: dict, *, returncode: int) -> PlainExit:
        """Cancel the batch and write its results, the unchecked as not checked; the exit that
        says how many were checked."""
        batch_cancel(batch=batch)
        # The checks in flight end within their timeout, and are stored (the process would wait
        # for them at exit anyway); a second Ctrl-C writes at once what is stored.
        with suppress(KeyboardInterrupt, Terminated), terminate_interrupts():
            self._wait(batch, progress=False)
        batch.refresh_from_db()
        self._write(batch, options)
        written_to = "stdout" if options["output"] == "-" else options["output"]
        return PlainExit(interruption_told(batch, written_to=written_to), returncode=returncode)

    def _write(self, batch: Batch, options: dict) -> None:
        output, export_format = options["output"], options["format"]
        results_write(batch, export_format=export_format, output=output, stdout=self.stdout._out)

    def _batch_start(self, owner: AbstractBaseUser, options: dict, *, quiet: bool) -> Batch:
        """The batch of FILE, --links-of or --category, started in this process."""
        form = FileBatchForm(*_form_input(options))
        if not form.is_valid():
            raise CommandError(_form_errors(form), returncode=EXIT_USAGE)
        # Registered before the batch exists, so the rows of a checkpages killed earlier on this
        # machine are back in the queue first.
        process_start(kind=CheckProcess.Kind.CHECKPAGES)
        batch = batch_create(owner=owner, **form.submission())
        if form.invalid_lines and not quiet:
            self.stderr.write(form.invalid_lines_message(), style_func=lambda text: text)
        return batch

    def _wait(self, batch: Batch, *, progress: bool) -> None:
        """Read the batch again as its outcomes are stored until it is settled, drawing a
        progress bar if asked to."""
        stores = 0
        # tqdm draws with carriage returns; the command's stderr wrapper would add line endings.
        bar = tqdm(total=batch.total, unit="page", file=self.stderr._out, disable=not progress)
        with bar:
            while True:
                batch.refresh_from_db()
                bar.update(batch.total - batch.pending_count - bar.n)
                if batch.is_settled:
                    return
                stores = stores_wait(after=stores, timeout=POLL_MAX_SECONDS)


class FileBatchForm(BatchForm):
    """The web form, for a list read from a file: as large as the file is."""

    upload_limited = False


def _statuses(value: str) -> tuple[str, ...]:
    statuses = tuple(status.strip() for status in value.split(",") if status.strip())
    unknown = [status for status in statuses if status not in FAIL_ON_STATUSES]
    if unknown or not statuses:
        raise ArgumentTypeError(f"expected some of {','.join(FAIL_ON_STATUSES)}, got '{value}'")
    return statuses


def _owner(username: str | None) -> AbstractBaseUser:
    users = get_user_model()
    if username is None:
        superusers = list(users.objects.filter(is_superuser=True, is_active=True)[:2])
        if len(superusers) != 1:
            raise CommandError(
                "Name the batch's owner with --user NAME (it is optional only while exactly "
                "one superuser exists).",
                returncode=EXIT_USAGE,
            )
        return superusers[0]
    try:
        user = users.objects.get_by_natural_key(username)
    except users.DoesNotExist:
        raise CommandError(f"No user named '{username}'.", returncode=EXIT_USAGE) from None
    if not user.is_active:
        raise CommandError(f"The user '{username}' is inactive.", returncode=EXIT_USAGE)
    return user


def _form_input(options: dict) -> tuple[dict, dict[str, SimpleUploadedFile]]:
    """The form's data and files for the options, from exactly one of FILE, --links-of and
    --category."""
    given = [options["file"], options["links_of"], options["category"]]
    if sum(value is not None for value in given) != 1:
        raise CommandError(
            "Give exactly one list to check: FILE, --links-of TITLE, --category TITLE or "
            "--list NAME.",
            returncode=EXIT_USAGE,
        )
    if options["fail_on_change"]:
        raise CommandError("--fail-on-change goes with --list NAME.", returncode=EXIT_USAGE)
    text, files = ("", {}) if options["file"] is None else _read(options["file"])
    data = {
        "urls": text,
        "links_of": options["links_of"] or "",
        "category": options["category"] or "",
        "namespaces": options["namespaces"],
        "wiki": options["wiki"] or conf.current().default_wiki,
        "mode": options["mode"],
        "timeout": "" if options["timeout"] is None else options["timeout"],
    }
    return data, files


def _read(path: str) -> tuple[str, dict[str, SimpleUploadedFile]]:
    """The form's text and files for FILE: a .csv file as an upload, so that it is read as the
    web form reads one (its first column, numbered by file line); anything else as its text."""
    try:
        data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc.strerror}.", returncode=EXIT_USAGE) from None
    if path != "-" and Path(path).suffix.lower() == ".csv":
        return "", {"file": SimpleUploadedFile(Path(path).name, data)}
    try:
        return text_decode(data), {}
    except UnreadableText as exc:
        raise CommandError(f"Line {exc.line}: {exc}", returncode=EXIT_USAGE) from None


def _form_errors(form: BatchForm) -> str:
    """The form's messages, one a line, as the web page shows them; nothing was stored."""
    lines = ["Nothing was stored; the input has errors:"]
    for field, messages in form.errors.items():
        option = FORM_FIELD_OPTIONS.get(field)
        lines += [f"{option}: {message}" if option else message for message in messages]
    return "\n".join(lines)
