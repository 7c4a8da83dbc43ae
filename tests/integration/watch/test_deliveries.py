"""Sending deliveries (checks/watch/deliveries.py): webhooks signed with the list's secret,
retried a bounded number of times, refused where the allow-list says, never raising."""

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.utils import timezone
from pytest_httpserver import HTTPServer
from werkzeug import Response

from checks.models import Batch, Delivery
from checks.watch.deliveries import BACKOFF_SECONDS, deliveries_send
from checks.watch.lists import list_save

BODY = json.dumps({"event": "changes", "changed_pages": 1})


@pytest.fixture
def hook_url(httpserver: HTTPServer, settings) -> str:
    settings.WIKICHECK_WEBHOOK_HOSTS = [f"localhost:{httpserver.port}"]
    return httpserver.url_for("/hook")


def delivery_to(user, url: str) -> Delivery:
    saved = list_save(owner=user, name="Hooked", entries="Ocean", wiki="https://x/", webhook=url)
    batch = Batch.objects.create(owner=user, wiki=saved.wiki, total=1, saved_list=saved)
    return Delivery.objects.create(
        saved_list=saved,
        batch=batch,
        kind=Delivery.Kind.WEBHOOK,
        target=url,
        payload=BODY,
        next_attempt_at=timezone.now(),
    )


@pytest.mark.django_db
def test_a_webhook_gets_the_body_signed_with_the_list_s_secret(user, hook_url, httpserver):
    delivery = delivery_to(user, hook_url)
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")

    [sent] = deliveries_send()

    [(request, _)] = httpserver.log
    secret = delivery.saved_list.webhook_secret.encode()
    expected = "sha256=" + hmac.new(secret, BODY.encode(), hashlib.sha256).hexdigest()
    assert request.get_data() == BODY.encode()
    assert request.headers["X-Wikicheck-Signature-256"] == expected
    assert request.headers["X-Wikicheck-Delivery"] == str(delivery.pk)
    assert request.headers["Content-Type"] == "application/json"
    assert (sent.status, sent.attempts, sent.response_status) == ("delivered", 1, 200)
    assert sent.next_attempt_at is None


@pytest.mark.django_db
def test_a_failed_webhook_is_tried_again_later_and_then_delivered(user, hook_url, httpserver):
    delivery_to(user, hook_url)
    answers = iter([Response("down", status=503), Response("ok", status=204)])
    httpserver.expect_request("/hook").respond_with_handler(lambda request: next(answers))
    now = timezone.now()

    [first] = deliveries_send(now=now)
    early = deliveries_send(now=now + timedelta(seconds=BACKOFF_SECONDS[0] - 1))
    [second] = deliveries_send(now=now + timedelta(seconds=BACKOFF_SECONDS[0] + 1))

    assert (first.status, first.attempts, first.response_status) == ("pending", 1, 503)
    assert first.error == "the receiver answered 503"
    assert first.next_attempt_at == now + timedelta(seconds=BACKOFF_SECONDS[0])
    assert early == []
    assert (second.status, second.attempts, second.response_status) == ("delivered", 2, 204)
    assert len(httpserver.log) == 2


@pytest.mark.django_db
def test_a_webhook_failing_every_attempt_gives_up_after_the_bound(
    user, hook_url, httpserver, settings
):
    settings.WIKICHECK_WEBHOOK_ATTEMPTS = 3
    delivery = delivery_to(user, hook_url)
    httpserver.expect_request("/hook").respond_with_data("no", status=500)
    now = timezone.now()

    for _ in range(5):
        deliveries_send(now=now)
        now += timedelta(hours=2)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 3)
    assert delivery.next_attempt_at is None
    assert len(httpserver.log) == 3


@pytest.mark.django_db
def test_an_unreachable_receiver_is_recorded_not_raised(user, settings):
    from fakewiki.unreachable import free_port

    port = free_port()
    settings.WIKICHECK_WEBHOOK_HOSTS = [f"127.0.0.1:{port}"]
    delivery_to(user, f"http://127.0.0.1:{port}/hook")

    [sent] = deliveries_send()

    assert sent.status == "pending"
    assert sent.error.startswith("could not connect")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "hosts",
    [[], ["*.example.org"], ["hooks.example.org"]],
    ids=["webhooks off", "a wildcard never vouches for an IP", "another host"],
)
def test_a_target_the_allow_list_does_not_name_is_refused_and_nothing_is_sent(
    user, hook_url, httpserver, settings, hosts
):
    target = hook_url.replace("localhost", "127.0.0.1")
    delivery = delivery_to(user, target)
    settings.WIKICHECK_WEBHOOK_HOSTS = hosts

    deliveries_send()

    delivery.refresh_from_db()
    assert delivery.status == "refused"
    assert delivery.next_attempt_at is None
    assert httpserver.log == []


@pytest.mark.django_db
def test_a_webhook_is_not_redirected(user, hook_url, httpserver):
    delivery = delivery_to(user, hook_url)
    httpserver.expect_request("/hook").respond_with_data(
        "", status=307, headers={"Location": "http://169.254.169.254/latest"}
    )

    deliveries_send()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.response_status) == ("pending", 307)
    assert len(httpserver.log) == 1
