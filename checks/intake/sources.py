"""A list that lives on a wiki, from what the user typed: the page or category as a title on a
wiki's API, and every page it lists, each with its outcome and canonical URL."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote

from checks.intake.parsing import URL_SAFE_CHARACTERS, entry_parse
from checks.probe.destinations import HostRefused
from checks.probe.mediawiki import api_endpoint
from checks.probe.outcome import Outcome
from checks.probe.session import WikiSession
from checks.probe.sources import SourceError, source_outcomes

if TYPE_CHECKING:
    from checks.conf import Conf

CATEGORY_PREFIX = "Category:"


@dataclass(frozen=True)
class SourceName:
    """A source resolved: its kind ("links" or "category"), its title as the API takes it, the
    wiki's api.php, and the origin (`scheme://host[:port]`) its pages' URLs start with."""

    kind: str
    title: str
    api_url: str
    origin: str

    def page_url(self, title: str) -> str:
        """The canonical URL of a page the source lists, as the intake builds one."""
        return f"{self.origin}/wiki/{quote(title.replace(' ', '_'), safe=URL_SAFE_CHARACTERS)}"


def source_resolve(
    *,
    kind: str,
    text: str,
    wiki: str,
    allowed_hosts: Sequence[str],
    api_paths: Sequence[tuple[str, str]],
) -> SourceName:
    """The source `text` (a title or a URL) names, of `kind`; a category gets its "Category:"
    prefix when it lacks one. ValueError says why there is none: a line the intake refuses, a
    title MediaWiki forbids, or a wiki without an API."""
    entry = entry_parse(text, wiki=wiki, allowed_hosts=allowed_hosts)
    if entry.invalid_reason:
        raise ValueError(f"{entry.title!r} is not a valid title: {entry.invalid_reason}")
    title = entry.title
    if kind == "category" and not title.lower().startswith(CATEGORY_PREFIX.lower()):
        title = CATEGORY_PREFIX + title
    origin = entry.url.split("/wiki/", 1)[0]
    api_url = api_endpoint(url=entry.url, api_paths=api_paths)
    if not api_url:
        raise ValueError(
            f"{origin} has no API configured (WIKICHECK_API_PATHS): a page's links or a "
            "category's members can only be read through a wiki's API."
        )
    return SourceName(kind=kind, title=title, api_url=api_url, origin=origin)


def namespaces_parse(text: str) -> tuple[int, ...]:
    """ "0, 14" as (0, 14); "" as () (every namespace). ValueError for anything else."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not all(part.isdecimal() for part in parts):
        raise ValueError(
            "Namespaces are namespace numbers separated by commas, e.g. 0,14 (empty: all)."
        )
    return tuple(dict.fromkeys(int(part) for part in parts))


class SourceUnreadable(ValueError):
    """A page's links or a category's members give no list to check; str() says why."""


@dataclass(frozen=True)
class SourcePages:
    """A source read: where it is, as the user gave it, and every page it lists with the outcome
    the generator's answer already gave, in the API's order."""

    name: SourceName
    text: str
    namespaces: tuple[int, ...]
    outcomes: dict[str, Outcome]

    def batch_fields(self) -> dict:
        """What a batch records of its source, to read it again on a re-run."""
        return {
            "source_kind": self.name.kind,
            "source": self.text,
            "source_namespaces": ",".join(map(str, self.namespaces)),
        }


def source_read(
    *,
    kind: str,
    text: str,
    wiki: str,
    namespaces: Sequence[int] = (),
    session: WikiSession,
    config: "Conf",
) -> SourcePages:
    """Every page the page `text` links to (kind "links", only those in `namespaces` if given)
    or every member of the category `text` (kind "category"), through the wiki's API. Raises
    SourceUnreadable when there is none to check, or more than WIKICHECK_MAX_BATCH."""
    try:
        name = source_resolve(
            kind=kind,
            text=text,
            wiki=wiki,
            allowed_hosts=config.allowed_hosts,
            api_paths=config.api_paths,
        )
        listing = source_outcomes(
            api_url=name.api_url,
            kind=kind,
            title=name.title,
            session=session,
            timeout=config.timeout,
            limit=config.max_batch,
            namespaces=namespaces,
            maxlag=config.maxlag,
            maxlag_wait_max=config.retry_after_max,
        )
    except (ValueError, SourceError, HostRefused) as exc:
        raise SourceUnreadable(str(exc)) from None
    return SourcePages(
        name=name, text=text, namespaces=tuple(namespaces), outcomes=listing.outcomes
    )
