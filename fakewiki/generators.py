"""The fake wiki's generators, as MediaWiki's api.php runs them: `generator=links` (the pages a page
links to) and `generator=categorymembers` (a category's members), one slice per request with each
page's data, and `continue` for the rest (rules in fakewiki/README.md)."""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from fakewiki.edits import Edits
from fakewiki.pages import link_title, links_count, member_title, members_count, page_id
from fakewiki.query import Found, PropRequest, props_add
from fakewiki.titles import NAMESPACES, InvalidTitle, Title, title_parse

# MediaWiki's most pages per generator request for clients without the apihighlimits right.
LIMIT_MAX = 500
LIMIT_DEFAULT = 10
# The first number in a listed title's name is its place in its list.
PLACE_IN_NAME = re.compile("[0-9]+")
BAD_CONTINUE = (
    "Invalid continue param. You should pass the original value returned by the previous query."
)
MEMBER_TYPES = {NAMESPACES["category"][1]: "subcat", NAMESPACES["file"][1]: "file"}


class Refused(Exception):
    """A request api.php answers with an error, MediaWiki's code and info."""

    def __init__(self, code: str, info: str) -> None:
        super().__init__(info)
        self.code = code
        self.info = info


@dataclass(frozen=True)
class Listing:
    """The pages one source lists: `count` of them, the `index`th (from 1) named by `title_of`, so
    that a slice far down a long list costs no more than the first."""

    source: Title
    count: int
    title_of: Callable[[int], str]

    def title(self, index: int) -> Title:
        return title_parse(self.title_of(index))

    def namespace(self, index: int) -> int:
        """The namespace of the `index`th title, read from its prefix alone: a namespace filter
        may pass over a million titles to find a few."""
        prefix, colon, _ = self.title_of(index).partition(":")
        return NAMESPACES.get(prefix.lower(), ("", 0))[1] if colon else 0

    def index_where(self, text: str, *, matches: Callable[[Title], bool]) -> int:
        """The place of the title that `text` gives the number of, if `matches` accepts it;
        anything else was not given by this wiki."""
        number = PLACE_IN_NAME.search(text)
        index = int(number.group()) if number else 0
        if not 1 <= index <= self.count or not matches(self.title(index)):
            raise Refused("badcontinue", BAD_CONTINUE)
        return index


# Where a slice starts: the listing's number and the index in it.
Place = tuple[int, int]


# --- generator=links ---------------------------------------------------------------------------


def links_listings(
    params: Mapping[str, str], *, resolve_redirects: bool, edits: Edits
) -> list[Listing]:
    """The links of each existing page of `titles`, its redirect followed when `redirects` is
    asked (as MediaWiki resolves the generator's input too), in page-id order as MediaWiki lists
    links by the id of the page they are on."""
    found = Found(edits=edits)
    for sent in filter(None, params.get("titles", "").split("|")):
        found.add(sent, resolve_redirects=resolve_redirects)
    # A deleted page links nowhere, whatever its title says.
    existing = (found.titles[text] for text, page in found.pages.items() if "pageid" in page)
    sources = sorted(existing, key=page_id)
    return [Listing(source, links_count(source), link_title) for source in sources]


def links_continue(listing: Listing, title: Title) -> str:
    """MediaWiki's `plcontinue`: the linking page's id, then the next link's namespace and key."""
    return f"{page_id(listing.source)}|{title.ns}|{title.name.replace(' ', '_')}"


def links_place(listings: list[Listing], value: str) -> Place:
    """Where a `gplcontinue` value that links_continue() wrote points."""
    source_id, _, rest = value.partition("|")
    ns, _, key = rest.partition("|")
    name = key.replace("_", " ")
    for number, listing in enumerate(listings):
        if str(page_id(listing.source)) == source_id:
            index = listing.index_where(
                name, matches=lambda title: (str(title.ns), title.name) == (ns, name)
            )
            return number, index
    raise Refused("badcontinue", BAD_CONTINUE)


# --- generator=categorymembers -----------------------------------------------------------------


def members_listings(
    params: Mapping[str, str], *, resolve_redirects: bool, edits: Edits
) -> list[Listing]:
    """The members of `gcmtitle`, which must name a category; one that has no page of its own, or
    none at all, just has no members, as in MediaWiki. Whatever `redirects` says, the category is
    taken as named: MediaWiki follows no redirect there; nor do `edits` change who is a member."""
    sent = params.get("gcmtitle")
    if not sent:
        raise Refused(
            "missingparam", 'One of the parameters "gcmtitle" and "gcmpageid" is required.'
        )
    try:
        category = title_parse(sent)
    except InvalidTitle:
        raise Refused("invalidtitle", f'Bad title "{sent}".') from None
    if category.ns != NAMESPACES["category"][1]:
        raise Refused("invalidcategory", "The category name you entered is not valid.")
    return [Listing(category, members_count(category), member_title)]


def members_continue(listing: Listing, title: Title) -> str:
    """MediaWiki's `cmcontinue`: the next member's type, hexadecimal sort key and page id."""
    sort_key = title.name.upper().encode().hex()
    return f"{MEMBER_TYPES.get(title.ns, 'page')}|{sort_key}|{page_id(title)}"


def members_place(listings: list[Listing], value: str) -> Place:
    """Where a `gcmcontinue` value that members_continue() wrote points: its sort key gives the
    member's number, and the whole value must be the one written for that member."""
    sort_key = value.split("|")[1] if value.count("|") == 2 else ""
    try:
        key = bytes.fromhex(sort_key).decode()
    except ValueError:
        raise Refused("badcontinue", BAD_CONTINUE) from None
    index = listings[0].index_where(
        key, matches=lambda title: members_continue(listings[0], title) == value
    )
    return 0, index


# --- The answer --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Generator:
    """A generator module: the lists it walks, and its continuation values written and read."""

    prefix: str  # of its parameters: "gpl" for gpllimit, gplcontinue, …
    listings: Callable[..., list[Listing]]
    continue_value: Callable[[Listing, Title], str]
    place: Callable[[list[Listing], str], Place]


GENERATORS = {
    "links": Generator("gpl", links_listings, links_continue, links_place),
    "categorymembers": Generator("gcm", members_listings, members_continue, members_place),
}


def generator_result(
    params: Mapping[str, str],
    *,
    resolve_redirects: bool,
    props: PropRequest,
    prop_limit: int | None,
    edits: Edits,
) -> dict[str, object]:
    """The answer to a generator request: the slice of pages `continue` points at, each with what
    `prop` asks and `edits` applied, and where to go on."""
    name = params["generator"]
    generator = GENERATORS.get(name)
    if generator is None:
        raise Refused("badvalue", f'Unrecognized value for parameter "generator": {name}.')
    listings = generator.listings(params, resolve_redirects=resolve_redirects, edits=edits)
    continue_param = f"{generator.prefix}continue"
    sent = params.get(continue_param)
    pages, after = slice_taken(
        listings,
        start=generator.place(listings, sent) if sent else (0, 1),
        limit=_limit(params, f"{generator.prefix}limit"),
        namespaces=_namespaces(params.get(f"{generator.prefix}namespace")),
    )
    found = Found(edits=edits)
    for title in pages:
        found.add(title.text, resolve_redirects=resolve_redirects)
    result: dict[str, object] = {}
    if data_left := props_add(found, props, limit=prop_limit):
        # The pages' data is unfinished: the same slice is asked again, the generator's own
        # continuation sent back as it came, as MediaWiki's ApiContinuationManager does.
        generator_sent = {continue_param: sent} if sent else {}
        finished = data_left.pop("continue").partition("||")[2]
        continuing = "|".join(generator_sent) + "||" + finished
        result["continue"] = {**data_left, **generator_sent, "continue": continuing}
    elif after is not None:
        listing, index = listings[after[0]], after[1]
        value = generator.continue_value(listing, listing.title(index))
        result["batchcomplete"] = True
        result["continue"] = {continue_param: value, "continue": f"{continue_param}||"}
    else:
        result["batchcomplete"] = True
    # MediaWiki leaves `query` out when the generator gave nothing.
    if query := found.query():
        result["query"] = query
    return result


def slice_taken(
    listings: list[Listing], *, start: Place, limit: int, namespaces: frozenset[int] | None
) -> tuple[list[Title], Place | None]:
    """The next `limit` listed titles in `namespaces` (None: all) from `start` on, and the place of
    the one after them, None when there is none."""
    taken: list[Title] = []
    for number in range(start[0], len(listings)):
        listing = listings[number]
        first = start[1] if number == start[0] else 1
        for index in range(first, listing.count + 1):
            if namespaces is not None and listing.namespace(index) not in namespaces:
                continue
            if len(taken) == limit:
                return taken, (number, index)
            taken.append(listing.title(index))
    return taken, None


def _limit(params: Mapping[str, str], name: str) -> int:
    """A limit as MediaWiki reads it: "max", or a number kept between 1 and the maximum."""
    value = params.get(name, str(LIMIT_DEFAULT))
    if value == "max":
        return LIMIT_MAX
    try:
        return min(max(int(value), 1), LIMIT_MAX)
    except ValueError:
        raise Refused(
            "badinteger", f'Invalid value "{value}" for integer parameter "{name}".'
        ) from None


def _namespaces(value: str | None) -> frozenset[int] | None:
    """The namespaces asked for, None for all (the parameter absent or "*"); like MediaWiki, a
    value that is no namespace number is ignored."""
    if value is None or value == "*":
        return None
    return frozenset(int(part) for part in value.split("|") if part.lstrip("-").isdigit())
