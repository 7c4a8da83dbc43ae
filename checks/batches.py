"""Creating batches: the one place where a submission becomes rows and work for the pool."""

from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from checks import runner
from checks.models import Batch, Result
from checks.parsing import Entry

# Rows per INSERT: large batches go in a few statements without hitting SQLite's variable limit.
INSERT_CHUNK = 2000


def batch_create(
    *,
    owner: AbstractBaseUser,
    entries: Sequence[Entry],
    wiki: str,
    timeout: float | None = None,
    duplicates: int = 0,
) -> Batch:
    """Store a batch and its pending results in one transaction, then wake the workers."""
    with transaction.atomic():
        batch = Batch.objects.create(
            owner=owner, wiki=wiki, timeout=timeout, total=len(entries), duplicates=duplicates
        )
        Result.objects.bulk_create(
            (
                Result(batch=batch, position=position, url=entry.url, title=entry.title)
                for position, entry in enumerate(entries)
            ),
            batch_size=INSERT_CHUNK,
        )
        # Workers in this or another thread must only look once the rows are committed.
        transaction.on_commit(lambda: runner.workers_wake(pending=len(entries)))
    return batch
