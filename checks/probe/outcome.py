"""The value every check returns: a page's verdict and what was learnt on the way."""

import enum
from dataclasses import dataclass
from datetime import datetime


class Verdict(enum.StrEnum):
    EXISTS = "exists"
    MISSING = "missing"
    UNKNOWN = "unknown"
    ERROR = "error"
    INVALID = "invalid"


@dataclass(frozen=True)
class Outcome:
    verdict: Verdict
    http_status: int | None
    error: str
    elapsed_ms: int
    checked_at: datetime
    redirect_target: str = ""
    normalized_title: str = ""
    note: str = ""
    # What the wiki says of the page reached (for a redirect, of its target), where it says it.
    page_id: int | None = None
    disambiguation: bool = False
    wikidata_item: str = ""  # a Q-id
    length: int | None = None  # bytes
    last_edited: datetime | None = None
    final_url: str = ""  # page mode: where the redirects, if any, ended
