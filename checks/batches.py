"""Creating batches: the one place where a submission becomes rows and work for the pool."""

from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.text import get_text_list

from checks.engine import dispatch
from checks.engine.workqueue import batch_cancel_rows, results_insert, write_transaction
from checks.intake.parsing import Entry
from checks.models import Batch, Result
from checks.probe.destinations import url_allowed
from checks.probe.mediawiki import api_endpoint
from checks.quotas import quota_check


def batch_create(
    *,
    owner: AbstractBaseUser,
    entries: Sequence[Entry],
    wiki: str,
    mode: str = Batch.Mode.API,
    timeout: float | None = None,
    duplicates: int = 0,
) -> Batch:
    """Store a batch and its pending results in one transaction, then hand them to the workers.

    In API mode each page on a wiki with a configured API is looked up there; the others, and
    every page in page mode, get a request of their own. Raises QuotaExceeded, storing nothing,
    when the owner is over a limit of checks/quotas.py.
    """
    if not entries:
        raise ValueError("A batch needs at least one page.")
    api_paths = settings.WIKICHECK_API_PATHS if mode == Batch.Mode.API else ()
    with write_transaction():
        quota_check(owner=owner, pages=len(entries))
        batch = Batch.objects.create(
            owner=owner,
            wiki=wiki,
            mode=mode,
            timeout=timeout,
            total=len(entries),
            duplicates=duplicates,
        )
        endpoints: dict[str, str] = {}
        results_insert(
            batch_id=batch.pk,
            rows=(
                (entry.url, entry.title, _endpoint(entry.url, api_paths, cache=endpoints))
                for entry in entries
            ),
        )
        # Workers in this or another thread must only look once the rows are committed.
        transaction.on_commit(lambda: dispatch.work_submitted(batch_id=batch.pk))
    return batch


def _endpoint(url: str, api_paths, *, cache: dict[str, str]) -> str:
    """api_endpoint(), worked out once per scheme and host of a batch."""
    origin = url.split("/", 3)[2]
    if origin not in cache:
        cache[origin] = api_endpoint(url=url, api_paths=api_paths)
    return cache[origin]


def batch_cancel(*, batch: Batch) -> bool:
    """Cancel a running batch; False when it had already ended."""
    cancelled = batch_cancel_rows(batch_id=batch.pk)
    if cancelled:
        dispatch.batch_cancelled(batch_id=batch.pk)
    return cancelled


def batch_delete(*, batch: Batch) -> None:
    """Delete a batch and its results; a running one is cancelled first, so its workers stop.

    Outcomes of checks still in flight find no batch and are dropped (queue.results_record).
    """
    if batch.is_running:
        batch_cancel(batch=batch)
    batch.delete()


def batch_rerun(*, batch: Batch, owner: AbstractBaseUser) -> Batch:
    """Check every page of a batch again, as a new batch."""
    return _batch_from_results(batch=batch, owner=owner, results=batch.results.all())


def batch_retry(*, batch: Batch, owner: AbstractBaseUser) -> Batch:
    """Check again, as a new batch, only the pages whose outcome was unknown or an error."""
    results = batch.results.filter(status__in=Result.RETRYABLE_STATUSES)
    return _batch_from_results(batch=batch, owner=owner, results=results)


class HostsNotAllowed(ValueError):
    """Stored pages are on hosts WIKICHECK_ALLOWED_HOSTS no longer names: nothing is created."""


def _batch_from_results(*, batch: Batch, owner: AbstractBaseUser, results) -> Batch:
    entries = [
        Entry(url=url, title=title)
        for url, title in results.order_by("position").values_list("url", "title")
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
        owner=owner, entries=entries, wiki=batch.wiki, mode=batch.mode, timeout=batch.timeout
    )


def _hosts_refused(urls: Iterable[str]) -> list[str]:
    """The `host[:port]`s of stored URLs that the allow-list, as it is now, no longer allows."""
    origins = dict.fromkeys(urlsplit(url)[:2] for url in urls)
    patterns = settings.WIKICHECK_ALLOWED_HOSTS
    return [
        netloc
        for scheme, netloc in origins
        if not url_allowed(f"{scheme}://{netloc}/", patterns=patterns)
    ]
