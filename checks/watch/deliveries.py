"""Sending the recorded deliveries: e-mail through Django's backend, webhooks signed, each
retried a bounded number of times, apart from the checks so that a slow receiver holds up none."""

# A delivery is claimed with a conditional UPDATE that moves next_attempt_at past the time one
# attempt can take, so two sweeps never send it at once; a process that dies while sending
# leaves it to be tried again then. Receivers may see a body twice: X-Wikicheck-Delivery names it.

import logging
from datetime import datetime, timedelta

import requests
from django.core.mail import send_mail
from django.db.models import F
from django.utils import timezone

from checks import conf
from checks.models import Delivery
from checks.probe.session import user_agent
from checks.probe.webhooks import WebhookRefused, webhook_post

logger = logging.getLogger(__name__)

# Sent per round; the rest wait for the next sweep.
SENT_PER_ROUND = 20
# Longer than any attempt takes (the webhook's timeouts, an SMTP server's).
ATTEMPT_SECONDS = 60
# After the nth failed attempt, the next waits the nth of these (the last one repeats).
BACKOFF_SECONDS = (10, 60, 300, 1800, 3600)
ERROR_SHOWN = 500


def deliveries_send(*, now: datetime | None = None) -> list[Delivery]:
    """Try each delivery that is due once; returns them as they ended up."""
    now = now or timezone.now()
    due = (
        Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", "next_attempt_at")[:SENT_PER_ROUND]
    )
    tried = []
    for pk, due_at in list(due):
        claimed = Delivery.objects.filter(
            pk=pk, status=Delivery.Status.PENDING, next_attempt_at=due_at
        ).update(
            next_attempt_at=now + timedelta(seconds=ATTEMPT_SECONDS), attempts=F("attempts") + 1
        )
        if claimed:
            delivery = Delivery.objects.select_related("saved_list").get(pk=pk)
            tried.append(_attempt(delivery, now=now))
    return tried


def _attempt(delivery: Delivery, *, now: datetime) -> Delivery:
    try:
        status_code = _send(delivery)
    except WebhookRefused as exc:
        _end(delivery, status=Delivery.Status.REFUSED, error=str(exc))
    except Exception as exc:  # a receiver's fault is recorded, never raised into the sweep
        _failed(delivery, error=_reason(exc), now=now)
    else:
        if status_code is None or 200 <= status_code < 300:
            _end(delivery, status=Delivery.Status.DELIVERED, response_status=status_code)
        else:
            _failed(
                delivery,
                error=f"the receiver answered {status_code}",
                now=now,
                response_status=status_code,
            )
    return delivery


def _send(delivery: Delivery) -> int | None:
    """Send it once: the webhook's status code, or None for an e-mail handed to the backend."""
    if delivery.kind == Delivery.Kind.EMAIL:
        subject, _, text = delivery.payload.partition("\n")
        send_mail(subject, text, None, [delivery.target])
        return None
    config = conf.current()
    return webhook_post(
        url=delivery.target,
        body=delivery.payload.encode(),
        secret=delivery.saved_list.webhook_secret,
        headers={"X-Wikicheck-Event": "changes", "X-Wikicheck-Delivery": str(delivery.pk)},
        allowed_hosts=config.webhook_hosts,
        user_agent=user_agent(contact=config.contact),
    )


def _failed(
    delivery: Delivery, *, error: str, now: datetime, response_status: int | None = None
) -> None:
    """Try again later, or give up after WIKICHECK_WEBHOOK_ATTEMPTS attempts."""
    # Read after the claim that counted this attempt.
    attempts = delivery.attempts
    if attempts >= conf.current().webhook_attempts:
        _end(delivery, status=Delivery.Status.FAILED, error=error, response_status=response_status)
        return
    wait = BACKOFF_SECONDS[min(attempts, len(BACKOFF_SECONDS)) - 1]
    fields = {
        "next_attempt_at": now + timedelta(seconds=wait),
        "error": error[:ERROR_SHOWN],
        "response_status": response_status,
    }
    _store(delivery, fields)
    logger.warning("delivery %s failed (attempt %d): %s", delivery.pk, attempts, error)


def _end(delivery: Delivery, *, status: str, error: str = "", response_status=None) -> None:
    fields = {
        "status": status,
        "next_attempt_at": None,
        "error": error[:ERROR_SHOWN],
        "response_status": response_status,
        "delivered_at": timezone.now() if status == Delivery.Status.DELIVERED else None,
    }
    _store(delivery, fields)


def _store(delivery: Delivery, fields: dict) -> None:
    Delivery.objects.filter(pk=delivery.pk).update(**fields)
    for name, value in fields.items():
        setattr(delivery, name, value)


def _reason(exc: Exception) -> str:
    if isinstance(exc, requests.Timeout):
        return "the receiver did not answer in time"
    if isinstance(exc, requests.ConnectionError):
        return f"could not connect: {exc}"
    return f"{type(exc).__name__}: {exc}"
