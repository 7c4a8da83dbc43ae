"""The queries batches and results are read with, named for what they find."""

from datetime import date, datetime, time, timedelta

from django.db import models
from django.db.models import Exists, F, OuterRef, Q, Sum
from django.utils import timezone


class BatchQuerySet(models.QuerySet):
    def mentioning(self, text: str) -> "BatchQuerySet":
        """Batches whose name (given, or made of their first entries) or one of whose results'
        URL or title contains `text` (any case).

        A correlated EXISTS reads each batch's results through the batch index and stops at the
        first match; a join would need DISTINCT over every matching result.
        """
        results = self.model._meta.get_field("results").related_model
        matches = results.objects.filter(
            Q(url__icontains=text) | Q(title__icontains=text), batch=OuterRef("pk")
        )
        named = Q(name__icontains=text) | Q(entries_name__icontains=text)
        return self.filter(named | Exists(matches))

    def created_between(self, *, since: date | None, until: date | None) -> "BatchQuerySet":
        """Batches created on or after `since` and on or before `until`, days in local time.

        Compared as datetimes, not with __date, so the created_at index still applies.
        """
        batches = self
        # The first and the last day a date can name bound nothing; the day after the last,
        # and the first one's start east of UTC, are beyond what a datetime holds.
        if since and since > date.min:
            batches = batches.filter(created_at__gte=_day_start(since))
        if until and until < date.max:
            batches = batches.filter(created_at__lt=_day_start(until + timedelta(days=1)))
        return batches

    def pages_waiting(self) -> int:
        """Pages of these batches still to be checked (being checked included)."""
        running = self.filter(status=self.model.Status.RUNNING)
        waiting = Sum(F("total") - F("done") - F("cancelled_count"), default=0)
        return running.aggregate(pages=waiting)["pages"]


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


class ResultQuerySet(models.QuerySet):
    def completed_after(self, cursor: int) -> "ResultQuerySet":
        """Results stored after the first `cursor` ones, in completion order."""
        return self.filter(completion_order__gt=cursor).order_by("completion_order")

    # Results can be listed by what their batch counts besides statuses (models.TALLIES): the
    # same conditions as the counters bumped when an outcome is stored (engine/outcomes.py).
    FLAGS = {
        "redirect": ~Q(redirect_target=""),
        "disambiguation": Q(disambiguation=True),
    }

    def with_status(self, status: str) -> "ResultQuerySet":
        """Results of one status, or of a flag in FLAGS; "pending" includes those being checked."""
        statuses = self.model.Status
        if status in self.FLAGS:
            return self.filter(self.FLAGS[status])
        if status == statuses.PENDING:
            return self.filter(status__in=(statuses.PENDING, statuses.RUNNING))
        return self.filter(status=status)

    def matching(self, text: str) -> "ResultQuerySet":
        """Results whose title or URL contains `text` (any case)."""
        return self.filter(Q(title__icontains=text) | Q(url__icontains=text))
