"""The `query` part of the fake wiki's answer about a set of titles: each page's entry, how titles
were normalized and where redirects lead, and what `prop` adds, with `continue` when the pages'
data is left for another request (rules in fakewiki/README.md)."""

from collections.abc import Mapping
from dataclasses import dataclass, field

from fakewiki.edits import NO_EDITS, Edits
from fakewiki.pages import (
    TOUCHED,
    last_edited,
    last_revision_id,
    page_id,
    page_length,
    page_props,
)
from fakewiki.titles import InvalidTitle, Title, is_missing, title_parse

PROP_MODULES = frozenset({"info", "pageprops", "revisions"})


# --- Pages -------------------------------------------------------------------------------------


def page_info(title: Title, *, edits: Edits = NO_EDITS) -> dict[str, object]:
    """The entry of `pages` for a valid title that is not an interwiki link; special pages cannot
    be edited."""
    if title.ns < 0:
        info: dict[str, object] = {"ns": title.ns, "title": title.text, "special": True}
        if is_missing(title.name):
            info["missing"] = True
        return info
    if edits.redirect_target(title) is not None:
        return {"pageid": page_id(title), "ns": title.ns, "title": title.text, "redirect": True}
    if edits.is_missing(title):
        return {"ns": title.ns, "title": title.text, "missing": True}
    return {"pageid": page_id(title), "ns": title.ns, "title": title.text}


def info_fields(title: Title, *, exists: bool) -> dict[str, object]:
    """What `prop=info` adds to a page's entry."""
    fields: dict[str, object] = {
        "contentmodel": "wikitext",
        "pagelanguage": "en",
        "pagelanguagehtmlcode": "en",
        "pagelanguagedir": "ltr",
    }
    if exists:
        fields |= {
            "touched": TOUCHED,
            "lastrevid": last_revision_id(title),
            "length": page_length(title),
        }
    return fields


# --- The query's parts -------------------------------------------------------------------------


@dataclass(frozen=True)
class PropRequest:
    """What `prop` asks of each page, and where a continued request resumes."""

    modules: tuple[str, ...] = ()  # the prop modules asked that this wiki answers, in order
    done: frozenset[str] = frozenset()  # those an earlier answer's `continue` says are complete
    ppprop: frozenset[str] | None = None  # None: every property
    ppcontinue: int = 0  # the page id to resume from
    rvcontinue: int = 0

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> "PropRequest":
        ppprop = params.get("ppprop")
        _, _, done = params.get("continue", "").partition("||")
        return cls(
            modules=tuple(m for m in params.get("prop", "").split("|") if m in PROP_MODULES),
            done=frozenset(done.split("|")),
            ppprop=frozenset(ppprop.split("|")) if ppprop else None,
            ppcontinue=_leading_page_id(params.get("ppcontinue", "")),
            rvcontinue=_leading_page_id(params.get("rvcontinue", "")),
        )

    def runs(self, module: str) -> bool:
        return module in self.modules and module not in self.done


def _leading_page_id(value: str) -> int:
    head = value.partition("|")[0]
    return int(head) if head.isdigit() else 0


@dataclass
class Found:
    """The parts of `action=query`'s answer, filled in title by title."""

    normalized: dict[str, str] = field(default_factory=dict)
    redirects: dict[str, dict[str, str]] = field(default_factory=dict)
    interwiki: dict[str, str] = field(default_factory=dict)
    pages: dict[str, dict[str, object]] = field(default_factory=dict)
    titles: dict[str, Title] = field(default_factory=dict)  # the valid titles among `pages`
    edits: Edits = NO_EDITS

    def add(self, sent: str, *, resolve_redirects: bool) -> None:
        try:
            title = title_parse(sent)
        except InvalidTitle as invalid:
            self.pages.setdefault(
                sent, {"title": sent, "invalidreason": invalid.reason, "invalid": True}
            )
            return
        if title.text != sent:
            self.normalized.setdefault(sent, title.text)
        reached = self.redirects_followed(title) if resolve_redirects else title
        if reached is None:
            return
        if reached.interwiki:
            self.interwiki.setdefault(reached.text, reached.interwiki)
        else:
            self.pages.setdefault(reached.text, page_info(reached, edits=self.edits))
            self.titles.setdefault(reached.text, reached)

    def redirects_followed(self, title: Title) -> Title | None:
        """Where `title`'s redirects lead, each step listed; None when they go round in a loop,
        which MediaWiki lists in `redirects` with no page."""
        seen = {title.text}
        while (redirect := self.edits.redirect_target(title)) is not None:
            target, fragment = redirect
            step = {"from": title.text, "to": target.text}
            if fragment:
                step["tofragment"] = fragment
            if target.interwiki:
                step["tointerwiki"] = target.interwiki
            self.redirects.setdefault(title.text, step)
            if target.text in seen:
                return None
            seen.add(target.text)
            title = target
        return title

    def query(self) -> dict[str, object]:
        query: dict[str, object] = {}
        if self.normalized:
            query["normalized"] = [
                {"fromencoded": False, "from": sent, "to": text}
                for sent, text in self.normalized.items()
            ]
        if self.redirects:
            query["redirects"] = list(self.redirects.values())
        if self.interwiki:
            query["interwiki"] = [{"title": text, "iw": iw} for text, iw in self.interwiki.items()]
        if self.pages:
            query["pages"] = list(self.pages.values())
        return query


def props_add(found: Found, props: PropRequest, *, limit: int | None) -> dict[str, str]:
    """Add what `prop` asks to the page entries; the `continue` object when data is left over."""
    for text, title in found.titles.items():
        if props.runs("info") and title.ns >= 0:
            found.pages[text] |= info_fields(title, exists="pageid" in found.pages[text])
    existing = [found.titles[text] for text, page in found.pages.items() if "pageid" in page]
    continuation: dict[str, str] = {}
    if props.runs("pageprops"):
        served, rest = _by_page_id(existing, start=props.ppcontinue, limit=limit)
        for title in served:
            wanted = {
                name: value
                for name, value in page_props(title).items()
                if props.ppprop is None or name in props.ppprop
            }
            if wanted:
                found.pages[title.text]["pageprops"] = wanted
        if rest is not None:
            continuation["ppcontinue"] = str(page_id(rest))
    if props.runs("revisions"):
        served, rest = _by_page_id(existing, start=props.rvcontinue, limit=limit)
        for title in served:
            found.pages[title.text]["revisions"] = [{"timestamp": last_edited(title)}]
        if rest is not None:
            continuation["rvcontinue"] = f"{page_id(rest)}|{last_revision_id(rest)}"
    if continuation:
        unfinished = {"pageprops"} if "ppcontinue" in continuation else set()
        unfinished |= {"revisions"} if "rvcontinue" in continuation else set()
        finished = [module for module in props.modules if module not in unfinished]
        continuation["continue"] = "||" + "|".join(finished)
    return continuation


def _by_page_id(
    titles: list[Title], *, start: int, limit: int | None
) -> tuple[list[Title], Title | None]:
    """The pages from page id `start` on that this answer serves, in page-id order as MediaWiki
    goes, and the first left for the next answer."""
    ordered = sorted((title for title in titles if page_id(title) >= start), key=page_id)
    if limit is None or len(ordered) <= limit:
        return ordered, None
    return ordered[:limit], ordered[limit]


def query_result(
    titles: list[str],
    *,
    resolve_redirects: bool,
    props: PropRequest = PropRequest(),
    prop_limit: int | None = None,
    edits: Edits = NO_EDITS,
) -> dict[str, object]:
    """The answer to `action=query` for `titles`, as MediaWiki's formatversion=2 writes it, with
    `edits` applied; `prop_limit` pages at most get pageprops and revisions, the rest are left to
    `continue`."""
    found = Found(edits=edits)
    for sent in titles:
        found.add(sent, resolve_redirects=resolve_redirects)
    continuation = props_add(found, props, limit=prop_limit)
    if continuation:
        return {"continue": continuation, "query": found.query()}
    return {"batchcomplete": True, "query": found.query()}
