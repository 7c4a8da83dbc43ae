"""What the fake wiki knows of a page beyond its title: its id, last revision and edit, length,
and page properties (disambiguation, Wikidata item), all derived from the title."""

import zlib
from datetime import UTC, datetime, timedelta

from fakewiki.titles import Title, redirect_target

DISAMBIGUATION_SUFFIX = " (disambiguation)"
DISAMBIGUATION_TITLES = frozenset({"Mercury", "Java", "Bass"})
UNLINKED_PREFIX = "unlinked"
# Wikidata links a wiki's articles and its project, template, help and category pages.
WIKIDATA_NAMESPACES = frozenset({0, 4, 10, 12, 14})
# Every page was purged then, after its last edit: `touched` is not the time of an edit.
TOUCHED = "2026-01-01T00:00:00Z"
EDITS_FROM = datetime(2020, 1, 1, tzinfo=UTC)
EDITS_SPREAD = timedelta(days=5 * 365)


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
