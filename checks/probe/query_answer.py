"""Read MediaWiki's `action=query` answer: each title's Outcome (verdict, normalization, where
its redirects lead, and the page's id, disambiguation, Wikidata item, length and last edit), and
the answers to `continue` requests merged into the first."""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from checks.probe.outcome import Outcome, Verdict
from checks.probe.page import loop_note

# MediaWiki's `invalidreason` is wikitext, with <nowiki> around the offending text; shown as
# plain text, the tags would only be noise.
NOWIKI_TAG = re.compile(r"</?nowiki\s*/?>", re.IGNORECASE)

# --- Each title's outcome ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Answer:
    """The parts of `action=query`'s answer that each title's outcome is read from."""

    normalized: dict[str, str]
    redirects: dict[str, tuple[str, str]]
    interwiki: dict[str, str]
    pages: dict[str, dict]

    @classmethod
    def from_query(cls, query: dict) -> "_Answer":
        return cls(
            normalized={item["from"]: item["to"] for item in query.get("normalized", [])},
            redirects={
                item["from"]: (item["to"], item.get("tofragment", ""))
                for item in query.get("redirects", [])
            },
            interwiki={item["title"]: item.get("iw", "") for item in query.get("interwiki", [])},
            pages={page["title"]: page for page in query.get("pages", [])},
        )


def title_outcomes(
    titles: Sequence[str], query: dict, *, elapsed_ms: int, checked_at: datetime
) -> dict[str, Outcome]:
    """The outcome of every title, keyed by the title as given, from the `query` part of the
    API's answer (continued answers merged in)."""
    answer = _Answer.from_query(query)
    # No HTTP status of the page's own: the API's 200 says nothing about it.
    return {
        title: Outcome(
            http_status=None,
            elapsed_ms=elapsed_ms,
            checked_at=checked_at,
            **{"error": "", **_title_fields(title, answer=answer)},
        )
        for title in titles
    }


def _title_fields(title: str, *, answer: _Answer) -> dict:
    """What the answer says about `title`: its verdict and the Outcome fields that go with it."""
    name = answer.normalized.get(title, title)
    as_normalized = name if name != title else ""
    if title in answer.interwiki or name in answer.interwiki:
        prefix = answer.interwiki.get(title) or answer.interwiki.get(name)
        return {
            "verdict": Verdict.UNKNOWN,
            "note": f"interwiki link to '{prefix}': not checked on this wiki",
            "normalized_title": as_normalized,
        }
    invalid = answer.pages.get(title) or answer.pages.get(name)
    if invalid and invalid.get("invalid"):
        reason = invalid.get("invalidreason", "MediaWiki rejected the title")
        return {"verdict": Verdict.INVALID, "error": NOWIKI_TAG.sub("", reason)}
    route = _Route.followed(answer.redirects, name)
    if (odd := _odd_redirect(route, interwiki=answer.interwiki)) is not None:
        return {**odd, "normalized_title": as_normalized}
    page = answer.pages.get(route.end)
    if page is None:
        return {
            "verdict": Verdict.UNKNOWN,
            "error": "the API did not report this title",
            "normalized_title": as_normalized,
        }
    fields = _page_fields(page) if not page.get("missing") else {}
    return {
        "verdict": Verdict.MISSING if page.get("missing") else Verdict.EXISTS,
        "normalized_title": as_normalized,
        "redirect_target": route.target,
        "note": _note(page),
        **fields,
    }


@dataclass(frozen=True)
class _Route:
    """Where a title's redirects lead: each title on the way, the one asked first."""

    titles: tuple[str, ...]
    fragment: str  # the last section a step asked for
    looped: bool  # the last title was on the way already

    @classmethod
    def followed(cls, redirects: dict[str, tuple[str, str]], name: str) -> "_Route":
        titles, fragment = [name], ""
        while titles[-1] in redirects:
            target, step_fragment = redirects[titles[-1]]
            fragment = step_fragment or fragment
            titles.append(target)
            if target in titles[:-1]:
                return cls(tuple(titles), fragment="", looped=True)
        return cls(tuple(titles), fragment=fragment, looped=False)

    @property
    def end(self) -> str:
        return self.titles[-1]

    @property
    def target(self) -> str:
        """The redirect target as recorded: where the redirects end, with the section; for a loop,
        where the title's own redirect points."""
        if len(self.titles) == 1:
            return ""
        target = self.titles[1] if self.looped else self.end
        return f"{target}#{self.fragment}" if self.fragment else target


def _odd_redirect(route: _Route, *, interwiki: dict[str, str]) -> dict | None:
    """The verdict of a redirect that reaches no page of this wiki, and why; None for others."""
    if route.looped:
        # The title exists as a redirect, but no page lies at its end to be found or missed.
        note = loop_note(path=route.titles)
    elif len(route.titles) > 1 and route.end in interwiki:
        note = f"redirects to the interwiki target {route.end}: not checked on this wiki"
    else:
        return None
    return {"verdict": Verdict.UNKNOWN, "note": note, "redirect_target": route.target}


def _note(page: dict) -> str:
    if page.get("ns") == -2:
        return "media link: checked as its file"
    if page.get("special"):
        return "special page: generated by the wiki, not stored"
    return ""


# --- Each page's info --------------------------------------------------------------------------


def _page_fields(page: dict) -> dict:
    """The Outcome fields a page's entry fills, asked with `prop=info|pageprops|revisions`."""
    props = page.get("pageprops") or {}
    return {
        "page_id": page.get("pageid"),
        "disambiguation": "disambiguation" in props,
        "wikidata_item": props.get("wikibase_item", ""),
        "length": page.get("length"),
        "last_edited": _last_edited(page),
    }


def _last_edited(page: dict) -> datetime | None:
    # The latest revision's time, not info's `touched`: that changes on every purge.
    revisions = page.get("revisions") or [{}]
    try:
        moment = datetime.fromisoformat(revisions[0]["timestamp"])
    except (KeyError, TypeError, ValueError):
        return None
    return moment.replace(tzinfo=moment.tzinfo or UTC).astimezone(UTC)


# --- Continued answers -------------------------------------------------------------------------


def query_merge(query: dict, *, later: dict) -> dict:
    """`query` with a continued answer's page data added: each page's properties are joined, and
    what the earlier answers lacked (revisions, say) is filled in."""
    pages = {page.get("title"): dict(page) for page in query.get("pages", [])}
    for page in later.get("pages", []):
        merged = pages.setdefault(page.get("title"), {})
        for key, value in page.items():
            if key == "pageprops":
                merged[key] = {**merged.get(key, {}), **value}
            else:
                merged.setdefault(key, value)
    return {**query, "pages": list(pages.values())}
