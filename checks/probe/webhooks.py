"""A webhook's POST: a JSON body signed with HMAC-SHA256, sent only where the webhook allow-list
says, to no internal address it does not name, and never redirected. Knows nothing of Django."""

import hashlib
import hmac
from collections.abc import Sequence

import requests

from checks.probe.destinations import AddressRefused, HostRefused, url_host
from checks.probe.hosts import url_allowed
from checks.probe.session import RedirectBlocked, WikiSession

ALLOW_LIST = "WIKICHECK_WEBHOOK_HOSTS"
SIGNATURE_HEADER = "X-Wikicheck-Signature-256"
# A receiver that takes longer than this to say it has the body is counted as failing.
TIMEOUT = (3.05, 10)


class WebhookRefused(requests.RequestException):
    """The webhook's URL may not be posted to: nothing was sent. Asking again will not help."""


def webhook_refusal(url: str, *, allowed_hosts: Sequence[str]) -> str:
    """Why `url` may not be a webhook, or "" when it may (its addresses are checked again at
    every delivery)."""
    if not url.startswith(("https://", "http://")):
        return "A webhook is an http:// or https:// URL."
    if not allowed_hosts:
        return f"Webhooks are turned off on this server: {ALLOW_LIST} names no host."
    if not url_allowed(url, patterns=allowed_hosts):
        return (
            f"{url_host(url) or url} is not in {ALLOW_LIST} (an IP address must be named there "
            "exactly)."
        )
    return ""


def signature(*, body: bytes, secret: str) -> str:
    """The signature header's value: `sha256=` and the hex HMAC-SHA256 of the body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_post(
    *,
    url: str,
    body: bytes,
    secret: str,
    headers: dict[str, str],
    allowed_hosts: Sequence[str],
    user_agent: str,
) -> int:
    """POST `body` to `url`, signed; returns the answer's status code. Raises WebhookRefused
    when the URL or its addresses are not allowed, requests' exceptions when it fails."""
    refusal = webhook_refusal(url, allowed_hosts=allowed_hosts)
    if refusal:
        raise WebhookRefused(refusal)
    # The checks' session, pointed at the webhook allow-list: each connection's address is the
    # one checked against internal ranges, so a name re-pointed meanwhile gains nothing.
    session = WikiSession(user_agent=user_agent, allowed_hosts=allowed_hosts, retries=0)
    try:
        response = session.post(
            url,
            data=body,
            headers={
                **headers,
                "Content-Type": "application/json",
                SIGNATURE_HEADER: signature(body=body, secret=secret),
            },
            timeout=TIMEOUT,
            allow_redirects=False,
        )
    except (HostRefused, AddressRefused) as exc:
        raise WebhookRefused(str(exc)) from None
    except RedirectBlocked as exc:
        # Told apart from the answer only because requests looks at its target even when not
        # following it: a redirect is a failed delivery like any other answer but 2xx.
        return exc.response.status_code
    finally:
        session.close()
    response.close()
    return response.status_code
