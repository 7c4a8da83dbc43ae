"""List the pages a wiki page links to, or a category's members, each with its Outcome, through
MediaWiki's generators: up to 500 pages a request. Speaks HTTP only."""

# `generator=links&titles=P` (or `generator=categorymembers&gcmtitle=Category:C`) with the prop,
# pageprops and redirects a titles query asks for answers, in one request, up to 500 generated
# pages with each one's state; `continue` leads to the next 500. MediaWiki's answer says nothing
# of the source itself, so only when nothing is listed does one titles query about the source
# tell a page or category that does not exist from one that lists nothing.

import enum
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from checks.probe.mediawiki import PAGE_QUERY, ApiAsker, ApiFailed, share_ms
from checks.probe.outcome import Outcome, Verdict
from checks.probe.query_answer import query_merge, title_outcomes
from checks.probe.session import WikiSession

# MediaWiki's most pages per generator request for clients without the apihighlimits right.
PAGES_PER_REQUEST = 500


class SourceKind(enum.StrEnum):
    LINKS = "links"  # the pages a page links to
    CATEGORY = "category"  # a category's members


# Each kind's generator, the prefix of its parameters, and the parameter naming the source.
GENERATORS = {
    SourceKind.LINKS: ("links", "gpl", "titles"),
    SourceKind.CATEGORY: ("categorymembers", "gcm", "gcmtitle"),
}


@dataclass(frozen=True)
class SourceListing:
    """Every page a source lists, with its outcome, in the order the API gave them."""

    outcomes: dict[str, Outcome]  # keyed by title, as the wiki writes it
    requests: int  # api.php requests made, maxlag retries included


class SourceError(Exception):
    """The source gives no list to check; str() says why, in words for the person who named it."""


class SourceMissing(SourceError):
    """The page or the category does not exist."""


class SourceEmpty(SourceError):
    """The page links to no page, or the category has no member (in the namespaces asked)."""


class SourceTooLarge(SourceError):
    """The source lists more pages than the limit; `count` were read when reading stopped."""

    def __init__(self, message: str, *, count: int, limit: int) -> None:
        super().__init__(message)
        self.count = count
        self.limit = limit


class SourceFailed(SourceError):
    """The wiki would not list the source (not a category, an invalid title) or did not answer."""


def source_outcomes(
    *,
    api_url: str,
    kind: SourceKind | str,
    title: str,
    session: WikiSession,
    timeout: tuple[float, float],
    limit: int,
    namespaces: Sequence[int] = (),
    maxlag: int = 5,
    maxlag_retries: int = 3,
    maxlag_wait_max: float = 30,
) -> SourceListing:
    """Every page `title` links to (kind "links") or every member of the category `title` (kind
    "category", the title with its namespace prefix), each with its outcome; `namespaces` keeps
    the pages of those namespaces only (none given: all). Raises SourceTooLarge as soon as more
    than `limit` are listed, another SourceError when there is no list to check, and HostRefused,
    before anything is sent, when `api_url`'s host is not allowed."""
    kind = SourceKind(kind)
    # The request helper would turn a refusal into an API failure; it is refused here, as itself.
    session.destinations.url_check(api_url)
    asker = ApiAsker(
        session=session,
        api_url=api_url,
        timeout=timeout,
        maxlag_retries=maxlag_retries,
        maxlag_wait_max=maxlag_wait_max,
    )
    source = _Source(
        kind=kind, title=title, namespaces=tuple(namespaces), asker=asker, maxlag=maxlag
    )
    outcomes: dict[str, Outcome] = {}
    requests_made = 0
    try:
        # Asking for one page past the limit tells a source over it from one just at it.
        for batch in source.batches(per_request=min(PAGES_PER_REQUEST, limit + 1)):
            requests_made += batch.requests
            outcomes |= batch.outcomes()
            if len(outcomes) > limit:
                raise SourceTooLarge(source.too_large(limit), count=len(outcomes), limit=limit)
        if not outcomes:
            raise source.nothing_listed()
    except ApiFailed as failed:
        raise SourceFailed(f"{source.host} could not list {source}: {failed.error}") from None
    return SourceListing(outcomes=outcomes, requests=requests_made)


# --- Reading the generator ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Batch:
    """One slice of the generator's pages: its answers (merged when the pages' data came in several)
    and what they cost."""

    query: dict
    requests: int
    started: float  # time.perf_counter() at its first request
    checked_at: datetime

    def outcomes(self) -> dict[str, Outcome]:
        titles = generated_titles(self.query)
        elapsed_ms = share_ms(self.started, len(titles))
        return title_outcomes(titles, self.query, elapsed_ms=elapsed_ms, checked_at=self.checked_at)


def generated_titles(query: dict) -> list[str]:
    """The titles a generator gave, from an answer that resolved redirects, in the order of its
    pages: each page that no redirect leads to, or else the redirects that lead to it (a double
    redirect's middle step too); then the redirects that reach no page (loops, other wikis).
    MediaWiki does not say whether a redirect's target was generated as well, so a page both
    linked and reached through a redirect is listed as the redirect's row only, which carries
    its state."""
    leading_to: dict[str, list[str]] = {}
    for item in query.get("redirects", []):
        leading_to.setdefault(item["to"], []).append(item["from"])
    listed: dict[str, None] = {}
    for page in query.get("pages", []):
        if page["title"] not in leading_to:
            listed[page["title"]] = None
        waiting = list(leading_to.get(page["title"], []))
        while waiting:
            title = waiting.pop(0)
            if title not in listed:
                listed[title] = None
                waiting += leading_to.get(title, [])
    for sources in leading_to.values():
        listed.update(dict.fromkeys(source for source in sources if source not in listed))
    return list(listed)


@dataclass(frozen=True)
class _Source:
    """A page or a category, and how to ask its wiki about it."""

    kind: SourceKind
    title: str
    namespaces: tuple[int, ...]
    asker: ApiAsker
    maxlag: int

    def __str__(self) -> str:
        return f"the {'category' if self.kind is SourceKind.CATEGORY else 'page'} {self.title}"

    @property
    def host(self) -> str:
        return urlsplit(self.asker.api_url).netloc

    def answer(self, params: dict[str, str]) -> tuple[dict, int]:
        return self.asker.answer({**PAGE_QUERY, "maxlag": str(self.maxlag), **params})

    def batches(self, *, per_request: int) -> Iterator[_Batch]:
        """Each slice of the generator's pages, in order; MediaWiki marks the last answer of a
        slice `batchcomplete` (the pages' data may need `continue` requests of its own)."""
        generator, prefix, source_param = GENERATORS[self.kind]
        params = {
            "generator": generator,
            source_param: self.title,
            f"{prefix}limit": str(per_request),
        }
        if self.namespaces:
            params[f"{prefix}namespace"] = "|".join(map(str, self.namespaces))
        continuation: dict[str, str] = {}
        query: dict = {}
        requests, started, checked_at = 0, time.perf_counter(), datetime.now(UTC)
        while True:
            answer, sent = self.answer({**params, **continuation})
            requests += sent
            later = answer.get("query", {})
            query = query_merge(query, later=later) if query else later
            following = answer.get("continue") or {}
            if "batchcomplete" in answer or not following:
                yield _Batch(query, requests, started, checked_at)
                query, requests, started, checked_at = {}, 0, time.perf_counter(), datetime.now(UTC)
            if not following:
                return
            if following == continuation:
                raise SourceFailed(f"{self.host} went round in circles listing {self}")
            continuation = following

    def too_large(self, limit: int) -> str:
        if self.kind is SourceKind.CATEGORY:
            return f"{self} has more than {limit:,} members"
        return f"{self} links to more than {limit:,} pages"

    def nothing_listed(self) -> SourceError:
        """Why the generator listed nothing, from one titles query about the source itself."""
        answer, _ = self.answer({"titles": self.title})
        outcome = title_outcomes(
            [self.title], answer.get("query", {}), elapsed_ms=0, checked_at=datetime.now(UTC)
        )[self.title]
        if outcome.verdict is Verdict.MISSING:
            return SourceMissing(f"{self} does not exist on {self.host}")
        if outcome.verdict is not Verdict.EXISTS:
            return SourceFailed(f"{self} cannot be listed: {outcome.error or outcome.note}")
        where = " in the namespaces asked" if self.namespaces else ""
        if self.kind is SourceKind.CATEGORY:
            return SourceEmpty(f"{self} has no members{where}")
        return SourceEmpty(f"{self} links to no pages{where}")
