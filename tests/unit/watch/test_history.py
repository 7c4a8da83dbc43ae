"""One page's history finds its rows by the title its URL spells (checks/watch/history.py): the
inverse of how the intake and a source build a page's URL."""

import pytest

from checks.intake.parsing import entry_parse
from checks.intake.sources import SourceName
from checks.watch.history import _title_of

WIKI = "https://en.wikipedia.org/wiki/"
LINES = [
    "Ocean",
    "ocean_floor",
    "https://en.wikipedia.org/wiki/Caf%C3%A9_(x)",
    "https://en.wikipedia.org/w/index.php?title=Sea_water",
    "Talk:Foo?bar",
    "100% pure",
    "AC/DC",
    "https://de.wikipedia.org/wiki/Stra%C3%9Fe",
    "Ünïcödé & friends",
    "Category:Wiki/wiki/ pages",
]


@pytest.mark.parametrize("line", LINES)
def test_the_title_of_an_entry_s_url_is_the_entry_s_title(line):
    entry = entry_parse(line, wiki=WIKI, allowed_hosts=["*.wikipedia.org"])

    assert _title_of(entry.url) == entry.title


@pytest.mark.parametrize("title", ["Ocean", "Café (x)", "100% pure", "Wiki/wiki/ pages"])
def test_the_title_of_a_source_s_page_url_is_the_page_s_title(title):
    name = SourceName(kind="links", title="List", api_url="", origin="https://en.wikipedia.org")

    assert _title_of(name.page_url(title)) == title


@pytest.mark.parametrize("url", ["https://en.wikipedia.org/", "not a url", WIKI])
def test_a_url_naming_no_page_has_no_title(url):
    assert _title_of(url) is None
