"""Staff administration: batches with their counters and the same actions as the batch page,
results read-only and never inline, the API tokens of users, and the checking processes (saved
lists and their deliveries: checks/watch/admin.py)."""

from datetime import timedelta

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.db.models import Count, Q
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from checks import conf
from checks.api.tokens import ApiToken
from checks.batches import HostsNotAllowed, batch_cancel, batch_delete, batch_rerun, batch_retry
from checks.models import COUNTER_FIELDS, Batch, CheckProcess, Result
from checks.watch import admin as watch_admin  # noqa: F401  (registers the lists' admin)


class DateBoundedChangeList(ChangeList):
    """Django's, except that a date-hierarchy year beyond what a date holds
    (?created_at__year=2147483648) is an invalid lookup, shown as such, not an OverflowError."""

    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except OverflowError as exc:
            raise IncorrectLookupParameters(exc) from exc


@admin.register(Batch)
class BatchAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "owner",
        "saved_list",
        "status",
        "total",
        "done",
        *COUNTER_FIELDS.values(),
        "created_at",
        "finished_at",
    ]
    list_filter = ["status", "created_at"]
    list_select_related = ["owner", "saved_list"]
    # Searching by a result's URL joins the results table; distinct rows come back.
    search_fields = ["id", "owner__username", "results__url"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "id",
        "owner",
        "status",
        "wiki",
        "timeout",
        "total",
        "duplicates",
        "done",
        *COUNTER_FIELDS.values(),
        "created_at",
        "finished_at",
        "saved_list",
        "parent",
        "changes_count",
        "results_link",
    ]
    # Results are never inlined: a batch may hold thousands. A link opens them filtered instead.
    fields = readonly_fields
    actions = ["cancel_batches", "rerun_batches", "retry_batches"]

    @admin.display(description="Results")
    def results_link(self, batch: Batch) -> str:
        url = reverse("admin:checks_result_changelist") + f"?batch__id__exact={batch.pk}"
        return format_html('<a href="{}">View the {} results</a>', url, batch.total)

    def get_changelist(self, request, **kwargs):
        return DateBoundedChangeList

    def has_add_permission(self, request) -> bool:
        return False

    def delete_model(self, request, obj: Batch) -> None:
        batch_delete(batch=obj)

    def delete_queryset(self, request, queryset) -> None:
        for batch in queryset:
            batch_delete(batch=batch)

    def get_deleted_objects(self, objs, request):
        # Django's confirmation page would list every result, thousands of them per batch.
        batches = list(objs)
        results = sum(batch.total for batch in batches)
        counts = {"batches": len(batches), "results": results}
        return [str(batch) for batch in batches], counts, set(), []

    @admin.action(description="Cancel the selected running batches", permissions=["change"])
    def cancel_batches(self, request, queryset) -> None:
        batches = list(queryset)
        cancelled = sum(batch_cancel(batch=batch) for batch in batches)
        self._report(
            request, f"Cancelled {_batches(cancelled)}", len(batches) - cancelled, "already ended"
        )

    @admin.action(description="Re-run the selected batches, as new batches", permissions=["change"])
    def rerun_batches(self, request, queryset) -> None:
        self._recheck(request, queryset, batch_rerun, reason="no pages")

    @admin.action(
        description="Retry the errors and unknowns of the selected batches", permissions=["change"]
    )
    def retry_batches(self, request, queryset) -> None:
        self._recheck(request, queryset, batch_retry, reason="no errors or unknowns")

    def _recheck(self, request, queryset, recheck, *, reason: str) -> None:
        """Check pages of each batch again as a new batch of the same owner; a batch with pages
        on hosts no longer allowed is reported on its own."""
        batches = list(queryset.select_related("owner"))
        started = refused = 0
        for batch in batches:
            try:
                recheck(batch=batch, owner=batch.owner)
            except HostsNotAllowed as exc:
                self.message_user(request, f"{batch}: {exc}", messages.ERROR)
                refused += 1
                continue
            except ValueError:
                continue
            started += 1
        skipped = len(batches) - started - refused
        self._report(request, f"Started {_batches(started, 'new ')}", skipped, reason)

    def _report(self, request, done: str, skipped: int, reason: str) -> None:
        message = f"{done}; {skipped} skipped ({reason})." if skipped else f"{done}."
        self.message_user(request, message, messages.WARNING if skipped else messages.SUCCESS)


def _batches(count: int, adjective: str = "") -> str:
    return f"{count} {adjective}batch{pluralize(count, 'es')}"


@admin.register(Result)
class ResultAdmin(admin.ModelAdmin):
    list_display = ["url", "title", "status", "http_status", "elapsed_ms", "checked_at", "batch"]
    list_filter = ["status", "checked_at"]
    list_select_related = ["batch"]
    search_fields = ["url", "title"]
    # Counting every row of a large table on each changelist page is slow; the pager copes.
    show_full_result_count = False
    raw_id_fields = ["batch"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "key_prefix", "created_at", "last_used_at"]
    list_filter = ["created_at", "last_used_at"]
    list_select_related = ["user"]
    search_fields = ["name", "user__username"]
    raw_id_fields = ["user"]
    # The key's hash is not a field of the form: staff never see or set it.
    fields = ["user", "name", "key_prefix", "created_at", "last_used_at"]
    readonly_fields = ["key_prefix", "created_at", "last_used_at"]

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        # A token's key stands for its user; it cannot be handed to someone else.
        return [*self.readonly_fields, "user"] if obj else self.readonly_fields

    def save_model(self, request, obj: ApiToken, form, change: bool) -> None:
        key = None if change else obj.key_generate()
        super().save_model(request, obj, form, change)
        if key:
            messages.warning(
                request,
                format_html(
                    "The key of “{}” is <code>{}</code>. Copy it now: it is not stored, and "
                    "will not be shown again.",
                    obj.name,
                    key,
                ),
            )


@admin.register(CheckProcess)
class CheckProcessAdmin(admin.ModelAdmin):
    """What checks pages now, and what each process holds: read-only, since an entry is what
    keeps a live process's rows its own."""

    list_display = [
        "__str__",
        "kind",
        "host",
        "pid",
        "started_at",
        "heartbeat_at",
        "beating",
        "rows",
    ]
    list_filter = ["kind", "host"]

    def get_queryset(self, request):
        held = Count("claims", filter=Q(claims__status=Result.Status.RUNNING))
        return super().get_queryset(request).annotate(rows_held=held)

    @admin.display(boolean=True, description="heartbeat on time")
    def beating(self, process: CheckProcess) -> bool:
        timeout = timedelta(seconds=conf.current().heartbeat_timeout)
        return process.heartbeat_at >= timezone.now() - timeout

    @admin.display(description="rows being checked", ordering="rows_held")
    def rows(self, process: CheckProcess) -> int:
        return process.rows_held

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
