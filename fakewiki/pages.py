"""What the fake wiki knows of a page beyond its title: its id, last revision and edit, length,
page properties (disambiguation, Wikidata item), the pages it links to and a category's members,
all derived from the title."""

import re
import zlib
from datetime import UTC, datetime, timedelta

from fakewiki.titles import NAMESPACES, REDIRECT_PREFIX, Title, redirect_target

DISAMBIGUATION_SUFFIX = " (disambiguation)"
DISAMBIGUATION_TITLES = frozenset({"Mercury", "Java", "Bass"})
UNLINKED_PREFIX = "unlinked"
# Wikidata links a wiki's articles and its project, template, help and category pages.
WIKIDATA_NAMESPACES = frozenset({0, 4, 10, 12, 14})
# Every page was purged then, after its last edit: `touched` is not the time of an edit.
TOUCHED = "2026-01-01T00:00:00Z"
EDITS_FROM = datetime(2020, 1, 1, tzinfo=UTC)
EDITS_SPREAD = timedelta(days=5 * 365)
# "Links <N>" links to N pages and "Category:Members <N>" has N members; a larger N is an
# ordinary page, so that no list costs more than this to walk.
LISTED_MAX = 1_000_000
LINKS_PAGE = re.compile("Links ([1-9][0-9]*)")
MEMBERS_CATEGORY = re.compile("Members ([1-9][0-9]*)")


def page_id(title: Title) -> int:
    return zlib.crc32(title.text.encode())


def last_revision_id(title: Title) -> int:
    return page_id(title) + 1


def last_edited(title: Title) -> str:
    seconds = page_id(title) % int(EDITS_SPREAD.total_seconds())
    return (EDITS_FROM + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def page_length(title: Title) -> int:
    """Bytes of wikitext: a redirect's is its `#REDIRECT [[target]]` line."""
    redirect = redirect_target(title)
    if redirect is None:
        return 1_000 + page_id(title) % 99_000
    target, fragment = redirect
    link = f"{target.text}#{fragment}" if fragment else target.text
    return len(f"#REDIRECT [[{link}]]".encode())


def is_disambiguation(title: Title) -> bool:
    return title.ns == 0 and (
        title.text.endswith(DISAMBIGUATION_SUFFIX) or title.text in DISAMBIGUATION_TITLES
    )


def has_wikidata_item(title: Title) -> bool:
    return title.ns in WIKIDATA_NAMESPACES and not title.name.casefold().startswith(UNLINKED_PREFIX)


def page_props(title: Title) -> dict[str, str]:
    """The page properties of an existing page, as `prop=pageprops` lists them; a redirect has
    none."""
    if redirect_target(title) is not None:
        return {}
    props = {}
    if is_disambiguation(title):
        props["disambiguation"] = ""
    if has_wikidata_item(title):
        props["wikibase_item"] = f"Q{page_id(title)}"
    return props


# --- Lists: a page's links, a category's members -----------------------------------------------


def links_count(title: Title) -> int:
    """How many pages `title` links to: N for the main-namespace page "Links <N>", else none."""
    match = LINKS_PAGE.fullmatch(title.text) if title.ns == 0 else None
    return _listed_count(match)


def members_count(category: Title) -> int:
    """How many members `category` has: N for "Category:Members <N>", else none."""
    match = (
        MEMBERS_CATEGORY.fullmatch(category.name)
        if category.ns == NAMESPACES["category"][1]
        else None
    )
    return _listed_count(match)


def _listed_count(match: re.Match | None) -> int:
    count = int(match[1]) if match else 0
    return count if count <= LISTED_MAX else 0


def link_title(index: int) -> str:
    """The title of the `index`th (from 1) page a "Links <N>" page links to."""
    return _listed_title("Linked", index, red_links=True)


def member_title(index: int) -> str:
    """The title of a "Members <N>" category's `index`th (from 1) member."""
    return _listed_title("Member", index, red_links=False)


def _listed_title(stem: str, index: int, *, red_links: bool) -> str:
    """Every 10th a red link (where a list may have them: no missing page is in a category),
    every 7th a redirect (every 14th to a disambiguation page), every 5th in another namespace
    (every 15th in Talk, the others in Template), every 11th a disambiguation page; the first rule
    that applies wins."""
    if red_links and index % 10 == 0:
        return f"Missing {stem.lower()} {index}"
    if index % 7 == 0:
        target = f"Target {index}" + (DISAMBIGUATION_SUFFIX if index % 14 == 0 else "")
        return REDIRECT_PREFIX + target
    if index % 5 == 0:
        namespace = "Talk" if index % 15 == 0 else "Template"
        return f"{namespace}:{stem} {index}"
    if index % 11 == 0:
        return f"{stem} {index}{DISAMBIGUATION_SUFFIX}"
    return f"{stem} {index}"
