"""Staff administration: batches with their counters, results read-only and never inline."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from checks.models import Batch, Result


@admin.register(Batch)
class BatchAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "owner",
        "status",
        "total",
        "done",
        "exists_count",
        "missing_count",
        "unknown_count",
        "error_count",
        "created_at",
        "finished_at",
    ]
    list_filter = ["status", "created_at"]
    list_select_related = ["owner"]
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
        "exists_count",
        "missing_count",
        "unknown_count",
        "error_count",
        "created_at",
        "finished_at",
        "results_link",
    ]
    # Results are never inlined: a batch may hold thousands. A link opens them filtered instead.
    fields = readonly_fields

    @admin.display(description="Results")
    def results_link(self, batch: Batch) -> str:
        url = reverse("admin:checks_result_changelist") + f"?batch__id__exact={batch.pk}"
        return format_html('<a href="{}">View the {} results</a>', url, batch.total)

    def has_add_permission(self, request) -> bool:
        return False


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
