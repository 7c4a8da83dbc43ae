"""Every outgoing request goes only to a host on the allow-list as it is now, and a name on the
list reaches an internal address only where the operator said so (checks/probe/destinations.py)."""

import socket
import ssl
import subprocess

import pytest
import urllib3
from django.contrib.auth import get_user_model
from django.urls import reverse
from pytest_httpserver import HTTPServer

from checks.engine import units
from checks.engine.backends import backend
from checks.models import Batch, Result
from checks.probe.destinations import address_internal
from checks.probe.outcome import Verdict
from checks.probe.page import page_check
from checks.probe.session import WikiSession
from tests.support import wait_until

TIMEOUT = (2.0, 2.0)
NAME = "wiki.example.org"


@pytest.fixture
def owner(db):
    return get_user_model().objects.create_user(username="outgoing-owner")


@pytest.fixture
def resolver(monkeypatch):
    """Makes wiki.example.org resolve to the addresses a test sets (127.0.0.1 by default);
    every other name resolves as usual."""
    real = socket.getaddrinfo
    answers = {NAME: ["127.0.0.1"]}

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in answers:
            return real(host, port, *args, **kwargs)
        return [
            (
                socket.AF_INET6 if ":" in address else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (address, port),
            )
            for address in answers[host]
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


def check(url: str):
    return page_check(url, session=units.session_get(), timeout=TIMEOUT)


def finished(batch: Batch) -> bool:
    batch.refresh_from_db()
    return batch.status == Batch.Status.FINISHED


# --- The allow-list as it is now ---------------------------------------------------------------


@pytest.mark.parametrize("api", [False, True], ids=["page", "api"])
@pytest.mark.django_db(transaction=True)
def test_a_row_queued_for_a_host_removed_since_is_an_error_naming_the_host(
    owner, wiki, settings, api
):
    # Stored while the host was allowed, as batch_create() stores them.
    batch = Batch.objects.create(
        owner=owner,
        wiki=wiki.wiki_url,
        total=1,
        mode=Batch.Mode.API if api else Batch.Mode.PAGE,
    )
    Result.objects.create(
        batch=batch,
        position=0,
        url=wiki.wiki_url + "Ocean",
        title="Ocean",
        api_url=f"{wiki.url}/w/api.php" if api else "",
    )
    settings.WIKICHECK_ALLOWED_HOSTS = ["*.wikipedia.org"]

    backend().work_submitted(batch_id=batch.pk)
    wait_until(lambda: finished(batch))

    result = batch.results.get()
    assert (result.status, result.error) == (
        Result.Status.ERROR,
        f"HostRefused: 127.0.0.1:{wiki.port} is not in WIKICHECK_ALLOWED_HOSTS",
    )
    assert wiki.requests_total == 0


def test_a_redirect_to_a_host_removed_after_the_session_was_built_is_refused(
    httpserver, wiki, settings
):
    settings.WIKICHECK_ALLOWED_HOSTS = [f"localhost:{httpserver.port}", f"127.0.0.1:{wiki.port}"]
    httpserver.expect_request("/wiki/Away").respond_with_data(
        "", status=302, headers={"Location": wiki.wiki_url + "Ocean"}
    )
    session = units.session_get()
    settings.WIKICHECK_ALLOWED_HOSTS = [f"localhost:{httpserver.port}"]

    outcome = page_check(httpserver.url_for("/wiki/Away"), session=session, timeout=TIMEOUT)

    assert (
        outcome.error == "RedirectBlocked: redirect to 127.0.0.1 is outside the allowed wiki hosts"
    )
    assert wiki.requests_total == 0


@pytest.fixture
def finished_batch(user, wiki, settings):
    """A finished batch of two pages on the test's fake wiki, one of them an error."""
    settings.WIKICHECK_ALLOWED_HOSTS = [f"127.0.0.1:{wiki.port}"]
    batch = Batch.objects.create(
        owner=user, wiki=wiki.wiki_url, total=2, status=Batch.Status.FINISHED
    )
    Result.objects.bulk_create(
        Result(batch=batch, position=n, url=f"{wiki.wiki_url}P{n}", title=f"P{n}", status=status)
        for n, status in enumerate([Result.Status.EXISTS, Result.Status.ERROR])
    )
    return batch


@pytest.mark.parametrize("action", ["batch_rerun", "batch_retry"])
@pytest.mark.django_db(transaction=True)
def test_checking_again_a_batch_whose_host_was_removed_says_so_and_sends_nothing(
    user_client, finished_batch, wiki, settings, action
):
    settings.WIKICHECK_ALLOWED_HOSTS = ["*.wikipedia.org"]

    response = user_client.post(reverse(action, args=[finished_batch.pk]), follow=True)

    assert response.redirect_chain[-1][0] == finished_batch.get_absolute_url()
    assert [str(message) for message in response.context["messages"]] == [
        f"Not checked again: 127.0.0.1:{wiki.port} is no longer in WIKICHECK_ALLOWED_HOSTS."
    ]
    assert Batch.objects.count() == 1
    assert wiki.requests_total == 0


# --- Internal addresses ------------------------------------------------------------------------


def test_a_name_on_the_allow_list_that_resolves_to_loopback_is_refused(wiki, settings, resolver):
    settings.WIKICHECK_ALLOWED_HOSTS = [f"*.example.org:{wiki.port}"]

    outcome = check(f"http://{NAME}:{wiki.port}/wiki/Ocean")

    assert outcome.verdict == Verdict.ERROR
    assert outcome.error == (
        f"AddressRefused: {NAME} resolves only to internal addresses (127.0.0.1); allow them "
        "with WIKICHECK_ALLOW_PRIVATE_ADDRESSES or by naming the host exactly in "
        "WIKICHECK_ALLOWED_HOSTS"
    )
    assert wiki.connections_total == 0


def test_internal_addresses_are_reached_when_the_setting_allows_them(wiki, settings, resolver):
    settings.WIKICHECK_ALLOWED_HOSTS = [f"*.example.org:{wiki.port}"]
    settings.WIKICHECK_ALLOW_PRIVATE_ADDRESSES = True

    outcome = check(f"http://{NAME}:{wiki.port}/wiki/Ocean")

    assert (outcome.verdict, wiki.requests_total) == (Verdict.EXISTS, 1)


def test_a_host_named_exactly_may_resolve_to_an_internal_address(wiki, settings, resolver):
    settings.WIKICHECK_ALLOWED_HOSTS = [f"{NAME}:{wiki.port}"]

    outcome = check(f"http://{NAME}:{wiki.port}/wiki/Ocean")

    assert (outcome.verdict, wiki.requests_total) == (Verdict.EXISTS, 1)


def test_an_ip_pattern_allows_that_address_behind_any_allowed_name(wiki, settings, resolver):
    settings.WIKICHECK_ALLOWED_HOSTS = [f"*.example.org:{wiki.port}", f"127.0.0.1:{wiki.port}"]

    outcome = check(f"http://{NAME}:{wiki.port}/wiki/Ocean")

    assert (outcome.verdict, wiki.requests_total) == (Verdict.EXISTS, 1)


@pytest.fixture
def connections(monkeypatch) -> list[str]:
    """The addresses the checker connects to; each connection is refused."""
    addresses = []

    def create_connection(address, *args, **kwargs):
        addresses.append(address[0])
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(urllib3.util.connection, "create_connection", create_connection)
    return addresses


@pytest.mark.parametrize(
    "address",
    [
        "::ffff:127.0.0.1",
        "::1",
        "fe80::1",
        "fc00::1",
        "169.254.169.254",
        "10.0.0.1",
        "192.168.1.1",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
    ],
)
def test_a_name_resolving_to_an_internal_address_is_never_connected_to(
    settings, resolver, connections, address
):
    settings.WIKICHECK_ALLOWED_HOSTS = ["*.example.org"]
    resolver[NAME] = [address]

    outcome = check(f"http://{NAME}/wiki/Ocean")

    assert outcome.error.startswith(f"AddressRefused: {NAME} resolves only to internal addresses")
    assert connections == []


def test_only_the_addresses_that_passed_the_check_are_connected_to(settings, resolver, connections):
    settings.WIKICHECK_ALLOWED_HOSTS = ["*.example.org"]
    resolver[NAME] = ["127.0.0.1", "93.184.215.14", "169.254.169.254"]

    outcome = check(f"http://{NAME}/wiki/Ocean")

    assert outcome.error == "ConnectionRefused: the server refused the connection"
    assert connections == ["93.184.215.14"] * 2  # connected once, retried once


@pytest.mark.parametrize(
    ("address", "internal"),
    [
        ("8.8.8.8", False),
        ("2606:4700:4700::1111", False),
        ("::ffff:8.8.8.8", False),
        ("127.0.0.2", True),
        ("::ffff:169.254.169.254", True),
        ("::ffff:10.0.0.1", True),
        ("fe80::1%1", True),
        ("::", True),
        ("ff02::1", True),
        ("255.255.255.255", True),
    ],
)
def test_internal_addresses_are_recognised_in_every_form(address, internal):
    assert address_internal(address) is internal


# --- TLS ---------------------------------------------------------------------------------------


@pytest.fixture
def tls_wiki(tmp_path):
    """An HTTPS server on 127.0.0.1 whose certificate names wiki.example.org only."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", key, "-out", cert, "-subj", f"/CN={NAME}"),
            *("-addext", f"subjectAltName=DNS:{NAME}"),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = HTTPServer(host="127.0.0.1", ssl_context=context)
    server.start()
    server.expect_request("/wiki/Ocean", method="HEAD").respond_with_data("", status=200)
    yield server, str(cert)
    server.clear()
    server.stop()


def test_https_verifies_the_certificate_against_the_name_while_connecting_to_the_address(
    tls_wiki, resolver, monkeypatch
):
    server, certificate = tls_wiki
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certificate)
    session = WikiSession(user_agent="wikicheck-test", allowed_hosts=[f"{NAME}:{server.port}"])

    outcome = page_check(
        f"https://{NAME}:{server.port}/wiki/Ocean", session=session, timeout=TIMEOUT
    )

    assert (outcome.verdict, outcome.http_status) == (Verdict.EXISTS, 200)


def test_https_refuses_a_certificate_for_another_name_on_the_same_address(
    tls_wiki, resolver, monkeypatch
):
    server, certificate = tls_wiki
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certificate)
    resolver["other.example.org"] = ["127.0.0.1"]
    session = WikiSession(
        user_agent="wikicheck-test", allowed_hosts=[f"other.example.org:{server.port}"]
    )

    outcome = page_check(
        f"https://other.example.org:{server.port}/wiki/Ocean", session=session, timeout=TIMEOUT
    )

    assert outcome.verdict == Verdict.ERROR
    assert outcome.error.startswith("SSLError: ")
    assert "Hostname mismatch" in outcome.error
