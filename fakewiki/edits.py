"""Pages deleted or created on a running fake wiki, which overrule titles.py's rule for those
titles: one immutable value, replaced whole at each edit, so a request reads it once."""

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass

from fakewiki.titles import InvalidTitle, Title, is_missing, redirect_target, title_parse


def edited_title(sent: str) -> str:
    """The text of the page `sent` names, as edits key it; raises ValueError (InvalidTitle for an
    invalid title) when no page of this wiki can have it."""
    title = title_parse(sent)
    if title.ns < 0 or title.interwiki:
        raise ValueError(f'"{sent}" names no page of this wiki: it is special or on another wiki.')
    return title.text


@dataclass(frozen=True)
class Edits:
    """The titles (normalized text) deleted and created since the last clear; none is in both."""

    deleted: frozenset[str] = frozenset()
    created: frozenset[str] = frozenset()

    def edited(self, *, delete: Iterable[str] = (), create: Iterable[str] = ()) -> "Edits":
        """These edits with `delete` then `create` applied: a title in both is created. Every
        title is read before any is applied, so one that no page can have changes nothing."""
        deleting = frozenset(map(edited_title, delete))
        creating = frozenset(map(edited_title, create))
        return Edits(
            deleted=(self.deleted | deleting) - creating,
            created=(self.created - deleting) | creating,
        )

    def is_missing(self, title: Title) -> bool:
        """Whether api.php lists `title`, a page that is no redirect, as missing."""
        if title.text in self.deleted:
            return True
        return title.text not in self.created and is_missing(title.text)

    def redirect_target(self, title: Title) -> tuple[Title, str] | None:
        """titles.redirect_target(), except that a deleted redirect leads nowhere: it is missing."""
        return None if title.text in self.deleted else redirect_target(title)

    def page_missing(self, sent: str) -> bool:
        """Whether /wiki/<sent> answers 404. The rule reads the title as sent; it is parsed only
        when there are edits, as pages are asked for thousands of times a second."""
        if self.deleted or self.created:
            with contextlib.suppress(InvalidTitle):
                text = title_parse(sent).text
                if text in self.deleted or text in self.created:
                    return text in self.deleted
        return is_missing(sent)

    def snapshot(self) -> dict[str, list[str]]:
        return {"deleted": sorted(self.deleted), "created": sorted(self.created)}


NO_EDITS = Edits()
