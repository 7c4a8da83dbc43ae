"""Where a webhook may post, and its signature (checks/probe/webhooks.py)."""

import hashlib
import hmac

import pytest

from checks.probe.webhooks import signature, webhook_refusal

HOSTS = ["hooks.example.org", "*.chat.example", "127.0.0.1:9000"]


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.org/wikicheck",
        "https://team.chat.example/in/1",
        "http://127.0.0.1:9000/hook",
    ],
)
def test_a_webhook_on_an_allowed_host_is_accepted(url):
    assert webhook_refusal(url, allowed_hosts=HOSTS) == ""


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://hooks.example.org/x", "http:// or https://"),
        ("https://evil.example.com/x", "evil.example.com is not in WIKICHECK_WEBHOOK_HOSTS"),
        ("http://10.0.0.1/hook", "10.0.0.1 is not in WIKICHECK_WEBHOOK_HOSTS"),
        ("http://127.0.0.1:9001/hook", "is not in WIKICHECK_WEBHOOK_HOSTS"),
        ("http://[::1]:9000/hook", "is not in WIKICHECK_WEBHOOK_HOSTS"),
    ],
)
def test_a_webhook_elsewhere_is_refused_saying_why(url, reason):
    assert reason in webhook_refusal(url, allowed_hosts=HOSTS)


def test_an_ip_literal_is_never_allowed_by_a_wildcard():
    assert "named there exactly" in webhook_refusal(
        "http://169.254.169.254/", allowed_hosts=["*.169.254.169.254", "*.example.org"]
    )


def test_an_empty_allow_list_turns_webhooks_off():
    assert "turned off" in webhook_refusal("https://hooks.example.org/", allowed_hosts=[])


def test_the_signature_is_the_hex_hmac_sha256_of_the_body():
    body = b'{"event": "changes"}'

    value = signature(body=body, secret="s3cret")

    assert value == "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
