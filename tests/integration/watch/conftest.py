"""Lists and their runs, built for the watch tests."""

import pytest

from checks.models import Batch, SavedList
from checks.watch.lists import list_save
from tests.support import wait_until


def settled(batch: Batch) -> bool:
    batch.refresh_from_db()
    return batch.is_settled


def run_finished(batch: Batch) -> Batch:
    """`batch` once the pool has checked it, waited for with a deadline."""
    wait_until(lambda: settled(batch), timeout=30)
    return batch


@pytest.fixture
def ocean_list(user, fake_wiki) -> SavedList:
    """A daily list of three pages of the fake wiki, one of them missing."""
    return list_save(
        owner=user,
        name="Ocean pages",
        entries="Ocean\nIsland\nMissing reef",
        wiki=fake_wiki.wiki_url,
        mode="api",
        schedule=SavedList.Schedule.DAILY,
    )
