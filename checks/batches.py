"""The batch operations: create (within the owner's quotas, from entries or from a list that
lives on the wiki), cancel, re-run, retry and delete."""

import functools
from collections.abc import Iterable, Sequence
from typing import NamedTuple
from urllib.parse import urlsplit

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import get_text_list

from checks import conf
from checks.engine.backends import backend
from checks.engine.outcomes import outcome_counts
from checks.engine.units import session_get
from checks.engine.workqueue import (
    NewRow,
    batch_cancel_rows,
    batch_resume_rows,
    results_insert,
    write_transaction,
)
from checks.intake.collector import collector_paused
from checks.intake.parsing import Entry
from checks.intake.sources import SourcePages, namespaces_parse, source_read
from checks.intake.titles import title_invalid_reason
from checks.models import NAME_LENGTH, NAMED_ENTRIES, Batch, Result, SavedList, name_from_titles
from checks.probe.hosts import url_allowed
from checks.probe.mediawiki import api_endpoint
from checks.quotas import quota_check

# The API reads titles=A|B as two titles: a title holding it cannot be asked about.
API_TITLE_SEPARATOR = "|"


class HostsNotAllowed(ValueError):
    """Stored pages are on hosts WIKICHECK_ALLOWED_HOSTS no longer names: nothing is created."""


# --- Create --------------------------------------------------------------------------------------


def batch_create(
    *,
    owner: AbstractBaseUser,
    entries: Sequence[Entry] = (),
    wiki: str,
    mode: str = Batch.Mode.API,
    timeout: float | None = None,
    duplicates: int = 0,
    source: SourcePages | None = None,
    parent: Batch | None = None,
    saved_list: SavedList | None = None,
    name: str = "",
) -> Batch:
    """Store a batch and its results in one transaction, then hand the pending ones to the
    workers; a batch that checks a `parent` again is linked to it, a run of a list to its list.

    In API mode each page on a wiki with a configured API is looked up there, titles MediaWiki
    forbids included (the API says why); the others, and every page in page mode, get a request
    of their own. A forbidden title no API is asked about is stored as invalid at once, a
    `source`'s pages (in place of `entries`) with their outcomes, and a batch of nothing else
    is finished. Raises QuotaExceeded, storing nothing, when the owner is over a per-user limit.
    """
    rows = _new_rows(entries=entries, source=source, mode=mode)
    settled = rows.settled
    finished = len(settled) == rows.total
    with collector_paused(), write_transaction():
        quota_check(owner=owner, pages=rows.total - len(settled))
        batch = Batch.objects.create(
            owner=owner,
            wiki=wiki,
            mode=mode,
            timeout=timeout,
            total=rows.total,
            duplicates=duplicates,
            parent=parent,
            saved_list=saved_list,
            name=name,
            entries_name=name_from_titles(rows.titles, total=rows.total),
            status=Batch.Status.FINISHED if finished else Batch.Status.RUNNING,
            finished_at=timezone.now() if finished else None,
            **(source.batch_fields() if source else {}),
            **_settled_counts(settled),
        )
        results_insert(batch_id=batch.pk, rows=rows.every)
        if not finished:
            # Workers in this or another thread must only look once the rows are committed.
            transaction.on_commit(lambda: backend().work_submitted(batch_id=batch.pk))
    return batch


class NewRows(NamedTuple):
    """A batch's rows before they are stored: how many, those settled already, the first
    titles (its name when it has none), and every row, which may be made only as it is
    inserted (a million-page batch then never holds its rows all at once)."""

    total: int
    settled: list[NewRow]
    titles: list[str]
    every: Iterable[NewRow]


def _new_rows(*, entries: Sequence[Entry], source: SourcePages | None, mode: str) -> NewRows:
    """The batch's rows: a `source`'s pages if it has one, else its entries'."""
    if source is not None:
        rows = _source_rows(source)
        settled = [row for row in rows if row.status != Result.Status.PENDING]
        return NewRows(len(rows), settled, [row.title for row in rows[:NAMED_ENTRIES]], rows)
    if entries:
        api_paths = conf.current().api_paths if mode == Batch.Mode.API else ()
        row = functools.partial(_row, api_paths=api_paths, endpoints={})
        # Only a title MediaWiki forbids can be settled before it is checked.
        forbidden = map(row, (entry for entry in entries if entry.invalid_reason))
        settled = [row for row in forbidden if row.status != Result.Status.PENDING]
        titles = [entry.title for entry in entries[:NAMED_ENTRIES]]
        return NewRows(len(entries), settled, titles, map(row, entries))
    raise ValueError("A batch needs at least one page.")


def _row(entry: Entry, *, api_paths: Sequence, endpoints: dict[str, str]) -> NewRow:
    """An entry's row: pending, or invalid already where no API will be asked about a title
    MediaWiki forbids."""
    api_url = _endpoint(entry.url, api_paths, cache=endpoints)
    if entry.invalid_reason and not _api_can_ask(title=entry.title, api_url=api_url):
        status, error = Result.Status.INVALID, entry.invalid_reason
    else:
        status, error = Result.Status.PENDING, ""
    lines = ",".join(map(str, entry.lines))
    return NewRow(entry.url, entry.title, api_url, status, error, entry.typed, lines)


def _source_rows(source: SourcePages) -> list[NewRow]:
    """A row per page the source lists, final already: its entry is its title, it has no lines."""
    name = source.name
    return [
        NewRow(
            name.page_url(title),
            title,
            name.api_url,
            Result.Status(outcome.verdict),
            outcome.error,
            title,
            outcome=outcome,
        )
        for title, outcome in source.outcomes.items()
    ]


def _settled_counts(settled: Sequence[NewRow]) -> dict:
    """The batch's counters for rows inserted settled."""
    return outcome_counts(
        statuses=[row.status for row in settled],
        outcomes=[row.outcome for row in settled if row.outcome is not None],
    )


def _api_can_ask(*, title: str, api_url: str) -> bool:
    """Whether an API request can name `title` as one title (the API splits at "|")."""
    return bool(api_url and title) and API_TITLE_SEPARATOR not in title


def _endpoint(url: str, api_paths: Sequence, *, cache: dict[str, str]) -> str:
    """api_endpoint(), worked out once per scheme and host of a batch."""
    origin = url.split("/", 3)[2]
    if origin not in cache:
        cache[origin] = api_endpoint(url=url, api_paths=api_paths)
    return cache[origin]


# --- Rename, cancel, delete, check again -------------------------------------------------------


def batch_rename(*, batch: Batch, name: str) -> None:
    """Give a batch its owner's name; an empty one shows its first entries' again. Raises
    ValueError for a name too long to store."""
    name = " ".join(name.split())
    if len(name) > NAME_LENGTH:
        raise ValueError(
            f"A batch's name has at most {NAME_LENGTH} characters ({len(name)} given)."
        )
    Batch.objects.filter(pk=batch.pk).update(name=name)
    batch.name = name


def batch_cancel(*, batch: Batch) -> bool:
    """Cancel a running batch; False when it had already ended."""
    cancelled = batch_cancel_rows(batch_id=batch.pk)
    if cancelled:
        backend().batch_cancelled(batch_id=batch.pk)
    return cancelled


def batch_resume(*, batch: Batch) -> int:
    """Check, in the same batch, the pages a cancelled batch left unchecked ("Check the rest");
    returns how many, 0 when there is nothing to resume yet. Raises QuotaExceeded when its owner
    may not queue that many pages now."""
    with write_transaction():
        quota_check(owner=batch.owner, pages=batch.cancelled_count, new_batch=False)
        resumed = batch_resume_rows(batch_id=batch.pk)
        if resumed:
            transaction.on_commit(lambda: backend().work_submitted(batch_id=batch.pk))
    return resumed


def batch_delete(*, batch: Batch) -> None:
    """Delete a batch and its results; a running one is cancelled first, so its workers stop.

    Outcomes of checks still in flight find no batch and are dropped (workqueue.results_record).
    """
    if batch.is_running:
        batch_cancel(batch=batch)
    batch.delete()


def batch_rerun(*, batch: Batch, owner: AbstractBaseUser) -> Batch:
    """Check every page of a batch again, as a new batch; a batch of a source reads the source
    again, so that a changed page gives a changed list."""
    if batch.source_kind:
        source = source_read_again(
            kind=batch.source_kind,
            text=batch.source,
            wiki=batch.wiki,
            namespaces=batch.source_namespaces,
        )
        return batch_create(
            owner=owner,
            wiki=batch.wiki,
            mode=batch.mode,
            timeout=batch.timeout,
            source=source,
            parent=batch,
            name=batch.name,
        )
    return _batch_from_results(batch=batch, owner=owner, results=batch.results.all())


def source_read_again(*, kind: str, text: str, wiki: str, namespaces: str) -> SourcePages:
    """A list on the wiki as a batch or a saved list stores it, read now (SourceUnreadable, or
    ValueError for stored namespaces no longer valid, when it cannot be)."""
    return source_read(
        kind=kind,
        text=text,
        wiki=wiki,
        namespaces=namespaces_parse(namespaces),
        session=session_get(),
        config=conf.current(),
    )


def batch_retry(*, batch: Batch, owner: AbstractBaseUser) -> Batch:
    """Check again, as a new batch, only the pages whose outcome was unknown or an error."""
    results = batch.results.filter(status__in=Result.RETRYABLE_STATUSES)
    return _batch_from_results(batch=batch, owner=owner, results=results)


def _batch_from_results(*, batch: Batch, owner: AbstractBaseUser, results: QuerySet) -> Batch:
    """A new batch of `results`' pages, each keeping its entry and input lines, so that the
    new rows join back to the same input."""
    entries = [
        Entry(
            url=url,
            title=title,
            invalid_reason=title_invalid_reason(title),
            typed=typed,
            lines=tuple(int(number) for number in lines.split(",") if number),
        )
        for url, title, typed, lines in results.order_by("position").values_list(
            "url", "title", "entry", "lines"
        )
    ]
    if not entries:
        raise ValueError("There is nothing to check again in this batch.")
    refused = _hosts_refused(entry.url for entry in entries)
    if refused:
        verb = "is" if len(refused) == 1 else "are"
        raise HostsNotAllowed(
            f"Not checked again: {get_text_list(refused, 'and')} {verb} no longer in "
            "WIKICHECK_ALLOWED_HOSTS."
        )
    return batch_create(
        owner=owner,
        entries=entries,
        wiki=batch.wiki,
        mode=batch.mode,
        timeout=batch.timeout,
        parent=batch,
        name=batch.name,
    )


def _hosts_refused(urls: Iterable[str]) -> list[str]:
    """The `host[:port]`s of stored URLs that the allow-list, as it is now, no longer allows."""
    origins = dict.fromkeys(urlsplit(url)[:2] for url in urls)
    patterns = conf.current().allowed_hosts
    return [
        netloc
        for scheme, netloc in origins
        if not url_allowed(f"{scheme}://{netloc}/", patterns=patterns)
    ]
