"""Staff administration of saved lists and their deliveries; a list's runs are its batches,
opened from the list filtered in the batch admin."""

from django.contrib import admin, messages
from django.db.models import Count
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from checks.models import Delivery, SavedList
from checks.watch.lists import LIST_FIELDS


@admin.register(SavedList)
class SavedListAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "schedule", "next_run_at", "run_count", "updated_at"]
    list_filter = ["schedule", "updated_at"]
    list_select_related = ["owner"]
    search_fields = ["name", "owner__username"]
    raw_id_fields = ["owner"]
    readonly_fields = ["runs_link", "webhook_secret", "created_at", "updated_at"]
    fields = ["owner", *LIST_FIELDS, "next_run_at", "schedule_note", *readonly_fields]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(runs_total=Count("runs"))

    @admin.display(description="runs", ordering="runs_total")
    def run_count(self, saved_list: SavedList) -> int:
        return saved_list.runs_total

    @admin.display(description="Runs")
    def runs_link(self, saved_list: SavedList) -> str:
        # Runs are batches, thousands of results each: linked, never inlined.
        url = reverse("admin:checks_batch_changelist") + f"?saved_list__id__exact={saved_list.pk}"
        return format_html('<a href="{}">View the {} runs</a>', url, saved_list.runs_total)

    def get_object(self, request, object_id, from_field=None):
        # The change page's runs_link reads the annotated count.
        return self.get_queryset(request).filter(pk=object_id).first()


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """Each word sent about a run's changes, with how its attempts went: read-only, except for
    sending again one that failed."""

    list_display = [
        "__str__",
        "saved_list",
        "batch_link",
        "status",
        "attempts",
        "response_status",
        "created_at",
        "delivered_at",
    ]
    list_filter = ["kind", "status", "created_at"]
    list_select_related = ["saved_list"]
    search_fields = ["target", "saved_list__name"]
    actions = ["send_again"]

    @admin.display(description="run")
    def batch_link(self, delivery: Delivery) -> str:
        url = reverse("admin:checks_batch_change", args=[delivery.batch_id])
        return format_html('<a href="{}">{}</a>', url, str(delivery.batch_id)[:8])

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        # The list of deliveries may be acted on (send_again); no delivery may be edited.
        return obj is None and super().has_change_permission(request)

    @admin.action(description="Send the selected deliveries again now", permissions=["change"])
    def send_again(self, request, queryset) -> None:
        count = queryset.exclude(status=Delivery.Status.DELIVERED).update(
            status=Delivery.Status.PENDING,
            attempts=0,
            next_attempt_at=timezone.now(),
            error="",
        )
        self.message_user(
            request,
            f"{count} deliver{pluralize(count, 'y,ies')} will be sent at the next sweep.",
            messages.SUCCESS,
        )
