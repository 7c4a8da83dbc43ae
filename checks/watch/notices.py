"""What a finished run of a list tells its owner: its changes counted once, and an e-mail and a
webhook delivery recorded for the sweep to send when there are any."""

# A run is noticed once: the conditional UPDATE that sets its changes_count is the claim, and
# the deliveries are stored in the same transaction, so a crash loses neither nor doubles them.

import json

from django.db.models import QuerySet
from django.utils import timezone

from checks import conf
from checks.engine.workqueue import write_transaction
from checks.models import Batch, Delivery
from checks.watch.changes import Changes, batch_changes, changes_data

# Runs noticed per round; the rest wait for the next sweep.
NOTICED_PER_ROUND = 20
# A webhook's body and an e-mail list at most this many pages of each kind, and say so.
WEBHOOK_PAGES_PER_KIND = 1000
EMAIL_PAGES_PER_KIND = 50


def runs_notice() -> list[Batch]:
    """Count the changes of each list's run that finished since the last round, and record
    a delivery for each word its owner is to get; returns the runs this call noticed."""
    noticed = []
    for batch in _unnoticed()[:NOTICED_PER_ROUND]:
        changes = batch_changes(batch=batch)
        count = changes.pages if changes else 0
        with write_transaction():
            claimed = Batch.objects.filter(pk=batch.pk, changes_count__isnull=True).update(
                changes_count=count
            )
            if not claimed:
                continue
            if count:
                Delivery.objects.bulk_create(_deliveries(batch, changes))
        batch.changes_count = count
        noticed.append(batch)
    return noticed


def _unnoticed() -> QuerySet:
    return (
        Batch.objects.filter(
            saved_list__isnull=False, status=Batch.Status.FINISHED, changes_count__isnull=True
        )
        .select_related("saved_list__owner", "parent")
        .order_by("finished_at")
    )


def _deliveries(batch: Batch, changes: Changes) -> list[Delivery]:
    saved_list = batch.saved_list
    now = timezone.now()
    common = {"saved_list": saved_list, "batch": batch, "next_attempt_at": now}
    deliveries = []
    if saved_list.owner.email:
        deliveries.append(
            Delivery(
                kind=Delivery.Kind.EMAIL,
                target=saved_list.owner.email,
                payload=_email(batch, changes),
                **common,
            )
        )
    if saved_list.webhook:
        deliveries.append(
            Delivery(
                kind=Delivery.Kind.WEBHOOK,
                target=saved_list.webhook,
                payload=webhook_body(batch, changes),
                **common,
            )
        )
    return deliveries


def webhook_body(batch: Batch, changes: Changes) -> str:
    """The JSON a list's webhook is posted: the list, the run, what it is compared with, and
    the changed pages by kind (the first WEBHOOK_PAGES_PER_KIND of each; `truncated` says)."""
    saved_list = batch.saved_list
    site = conf.current().site_url
    data = {
        "event": "changes",
        "list": {
            "id": saved_list.pk,
            "name": saved_list.name,
            "url": site + saved_list.get_absolute_url(),
        },
        "batch": {
            "id": str(batch.pk),
            "url": site + batch.get_absolute_url(),
            "finished_at": batch.finished_at.isoformat() if batch.finished_at else None,
        },
        "changed_pages": changes.pages,
        "truncated": any(len(pages) > WEBHOOK_PAGES_PER_KIND for pages in changes.by_kind.values()),
        "changes": changes_data(changes, limit=WEBHOOK_PAGES_PER_KIND),
    }
    return json.dumps(data, ensure_ascii=False)


def _email(batch: Batch, changes: Changes) -> str:
    """The e-mail's subject on the first line, its text after."""
    saved_list = batch.saved_list
    site = conf.current().site_url
    pages = changes.pages
    noun = "page" if pages == 1 else "pages"
    since = _when(changes.against.finished_at or changes.against.created_at)
    lines = [
        f"wikicheck: {pages:,} {noun} changed in “{saved_list.name}”",
        f"The run of your list “{saved_list.name}” found {pages:,} {noun} changed since the "
        f"run of {since}.",
        "",
    ]
    for _, label, group in changes.groups():
        lines.append(f"{label} ({len(group):,}):")
        lines += [
            f"  {change.title}: {change.before} → {change.after}  {change.url}"
            for change in group[:EMAIL_PAGES_PER_KIND]
        ]
        if len(group) > EMAIL_PAGES_PER_KIND:
            lines.append(f"  …and {len(group) - EMAIL_PAGES_PER_KIND:,} more")
        lines.append("")
    lines += [
        f"All of them: {site}{batch.get_absolute_url()}",
        f"The list: {site}{saved_list.get_absolute_url()}",
    ]
    return "\n".join(lines)


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z")
