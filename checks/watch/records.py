"""The saved lists a user watches over time, and the record of each word sent about their runs."""

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

# How far apart a schedule's runs are.
INTERVALS = {
    "hourly": timedelta(hours=1),
    "daily": timedelta(days=1),
    "weekly": timedelta(weeks=1),
}


def secret_make() -> str:
    """A webhook's signing key: 256 random bits."""
    return secrets.token_hex(32)


class SavedListQuerySet(models.QuerySet):
    def due(self, now: datetime) -> "SavedListQuerySet":
        """The lists whose schedule is due at `now`."""
        return self.exclude(schedule=SavedList.Schedule.NONE).filter(next_run_at__lte=now)


class SavedList(models.Model):
    class Schedule(models.TextChoices):
        NONE = "none", "Not scheduled: run it by hand"
        HOURLY = "hourly", "Every hour"
        DAILY = "daily", "Every day"
        WEEKLY = "weekly", "Every week"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_lists"
    )
    name = models.CharField(max_length=200)
    entries = models.TextField(blank=True, help_text="One page URL or title per line, as typed.")
    # Or a list that lives on the wiki, read again at every run (as Batch has them).
    source_kind = models.CharField(max_length=16, blank=True, help_text="links, category or empty.")
    source = models.CharField(max_length=2048, blank=True)
    source_namespaces = models.CharField(max_length=64, blank=True)
    wiki = models.CharField(max_length=255, help_text="Article path bare titles are resolved on.")
    mode = models.CharField(max_length=8, default="api")
    timeout = models.FloatField(null=True, blank=True)
    schedule = models.CharField(max_length=8, choices=Schedule, default=Schedule.NONE)
    next_run_at = models.DateTimeField(
        null=True, blank=True, help_text="When the schedule runs it next; empty when unscheduled."
    )
    schedule_note = models.CharField(
        max_length=500, blank=True, help_text="Why the last due run did not start."
    )
    webhook = models.CharField(
        max_length=2048, blank=True, help_text="Gets a signed JSON POST of each run's changes."
    )
    webhook_secret = models.CharField(max_length=64, default=secret_make, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SavedListQuerySet.as_manager()

    class Meta:
        verbose_name = "list"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="saved_list_unique_name"),
        ]
        indexes = [
            # The sweep's question: which schedules are due.
            models.Index(
                fields=["next_run_at"], condition=~Q(schedule="none"), name="saved_list_due"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("list_detail", args=[self.pk])

    @property
    def interval(self) -> timedelta | None:
        return INTERVALS.get(self.schedule)


class Delivery(models.Model):
    """One word about a run's changes: an e-mail to the owner or a POST to the list's webhook,
    sent by the sweep and retried a bounded number of times."""

    class Kind(models.TextChoices):
        EMAIL = "email", "E-mail"
        WEBHOOK = "webhook", "Webhook"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"
        REFUSED = "refused", "Refused"

    saved_list = models.ForeignKey(
        SavedList, on_delete=models.CASCADE, related_name="deliveries", verbose_name="list"
    )
    batch = models.ForeignKey("checks.Batch", on_delete=models.CASCADE, related_name="deliveries")
    kind = models.CharField(max_length=8, choices=Kind)
    target = models.CharField(max_length=2048, help_text="The e-mail address or the webhook URL.")
    payload = models.TextField(
        help_text="The webhook's JSON body, signed as it is; an e-mail's subject, a line, its text."
    )
    status = models.CharField(max_length=16, choices=Status, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, help_text="When it is tried next; empty once it has ended."
    )
    response_status = models.PositiveSmallIntegerField(null=True, blank=True, verbose_name="HTTP")
    error = models.TextField(blank=True, help_text="Why the last attempt failed.")
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], condition=Q(status="pending"), name="delivery_due"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.target}"
