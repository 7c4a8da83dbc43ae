"""One page's history: what each of a user's batches that checked it found, newest first."""

from dataclasses import dataclass
from urllib.parse import unquote

from django.contrib.auth.models import AbstractBaseUser

from checks.models import Result


@dataclass(frozen=True)
class PageHistory:
    """A page's results, newest batch first; `more` when older ones were left out."""

    url: str
    results: list[Result]
    more: bool

    @property
    def title(self) -> str:
        return self.results[0].title if self.results else ""


def page_history(*, owner: AbstractBaseUser, url: str, limit: int) -> PageHistory:
    """The page `url` (as the batches store it: normalized) in `owner`'s batches, at most
    `limit` of them, each result with its batch and the list the batch is a run of."""
    # The index on title finds the page's few rows among all the users' millions; one row more
    # than shown says whether there are more.
    title = _title_of(url)
    if title is None:
        return PageHistory(url=url, results=[], more=False)
    rows = list(
        Result.objects.filter(title=title, url=url, batch__owner=owner)
        .select_related("batch", "batch__saved_list")
        .order_by("-batch__created_at")[: limit + 1]
    )
    return PageHistory(url=url, results=rows[:limit], more=len(rows) > limit)


def _title_of(url: str) -> str | None:
    """The title a stored URL names, or None for a URL no batch stores: every result's URL is
    its wiki's origin, "/wiki/" and its title encoded (checks/intake/parsing.py)."""
    _, found, encoded = url.partition("/wiki/")
    return unquote(encoded).replace("_", " ") if found and encoded else None
