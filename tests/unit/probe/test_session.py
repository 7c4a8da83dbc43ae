"""The session every check uses: it follows redirects only within the allowed wiki hosts and
sends the User-Agent Wikimedia's policy asks for."""

import requests

import checks
from checks.probe.outcome import Verdict
from checks.probe.page import page_check
from checks.probe.session import user_agent

TIMEOUT = (2.0, 2.0)


# --- Redirects ---------------------------------------------------------------------------------


def test_redirects_within_allowed_hosts_are_followed(httpserver, session):
    httpserver.expect_request("/wiki/Sea_Water", method="HEAD").respond_with_data(
        "", status=301, headers={"Location": "/wiki/Seawater"}
    )
    httpserver.expect_request("/wiki/Seawater", method="HEAD").respond_with_data("", status=200)

    outcome = page_check(httpserver.url_for("/wiki/Sea_Water"), session=session, timeout=TIMEOUT)

    assert (outcome.verdict, outcome.http_status) == (Verdict.EXISTS, 200)


def test_redirect_to_a_host_outside_the_allow_list_is_not_followed(httpserver, session):
    httpserver.expect_request("/wiki/Away", method="HEAD").respond_with_data(
        "", status=302, headers={"Location": "http://evil.example/steal"}
    )

    outcome = page_check(httpserver.url_for("/wiki/Away"), session=session, timeout=TIMEOUT)

    assert outcome.verdict == Verdict.ERROR
    assert outcome.error.startswith("RedirectBlocked: redirect to evil.example")


def test_a_malformed_redirect_is_blocked_with_a_reason_saying_so(wiki, session):
    url = wiki.wiki_url + "Fault:redirect-malformed"

    outcome = page_check(url, session=session, timeout=TIMEOUT)

    assert (outcome.verdict, outcome.http_status) == (Verdict.ERROR, None)
    assert outcome.error == (
        "RedirectBlocked: the redirect target 'http://h:1:2/wiki/Ocean' is not a valid URL"
    )


# --- User-Agent --------------------------------------------------------------------------------


def test_user_agent_names_the_tool_its_contact_and_requests():
    agent = user_agent(contact="ops@example.org")

    assert agent == (
        f"wikicheck/{checks.__version__} (ops@example.org) requests/{requests.__version__}"
    )


def test_user_agent_is_sent_with_every_check(httpserver, session):
    httpserver.expect_request(
        "/wiki/Ocean", method="HEAD", headers={"User-Agent": "wikicheck-test"}
    ).respond_with_data("", status=200)

    outcome = page_check(httpserver.url_for("/wiki/Ocean"), session=session, timeout=TIMEOUT)

    assert outcome.http_status == 200


# --- The environment ---------------------------------------------------------------------------


def test_the_environment_s_proxy_applies_to_every_request_but_its_no_proxy_hosts(
    monkeypatch, session
):
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "direct.example")

    proxied = [
        session.merge_environment_settings("http://en.example/wiki/A", {}, None, True, None)
        for _ in range(2)
    ]
    direct = session.merge_environment_settings(
        "http://direct.example/wiki/A", {}, None, True, None
    )

    assert [settings["proxies"].get("http") for settings in proxied] == [
        "http://proxy.example:3128"
    ] * 2
    assert "http" not in direct["proxies"]


def test_the_environment_s_ca_bundle_is_used_to_verify(monkeypatch, session):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/wiki-ca.pem")

    settings = session.merge_environment_settings("https://en.example/wiki/A", {}, None, True, None)

    assert settings["verify"] == "/etc/wiki-ca.pem"
