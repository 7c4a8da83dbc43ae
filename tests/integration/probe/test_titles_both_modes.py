"""A title MediaWiki forbids gets the same reason in page mode (the intake's rules) and in API mode
(the fake wiki's api.php, read by the probe)."""

import pytest

from checks.intake.parsing import entry_parse
from checks.probe.mediawiki import titles_check
from checks.probe.outcome import Verdict
from checks.probe.session import WikiSession

TIMEOUT = (2.0, 2.0)


@pytest.fixture
def session():
    with WikiSession(user_agent="wikicheck-test", allowed_hosts=["127.0.0.1:*"]) as session:
        yield session


@pytest.mark.parametrize(
    "typed",
    [
        "Foo[bar",
        "<x>",
        "~~~~",
        "Talk:",
        "A%41",
        "A\ufffeB",
        "::Foo",
        "./x",
        "x" * 256,
        "A&#91;B",
        "Talk:File:x.png",
    ],
)
def test_a_forbidden_title_has_the_same_reason_in_both_modes(fake_wiki, session, typed):
    # Page mode stores the intake's reason; API mode sends the title the intake made of the line.
    entry = entry_parse(
        typed, wiki=fake_wiki.wiki_url, allowed_hosts=[f"127.0.0.1:{fake_wiki.port}"]
    )

    outcomes = titles_check(
        api_url=fake_wiki.url + "/w/api.php",
        titles=[entry.title],
        session=session,
        timeout=TIMEOUT,
    )

    assert entry.invalid_reason
    assert outcomes[entry.title].verdict == Verdict.INVALID
    assert outcomes[entry.title].error == entry.invalid_reason
    assert fake_wiki.api_requests == 1
