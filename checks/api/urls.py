"""Routes of the JSON API, included under /api/."""

from django.urls import include, path, re_path

from checks.api import views as api_views

app_name = "api"

# Under a batch's address: its state and results, cancelling it, and its downloads.
batch_patterns = [
    path("", api_views.batch_detail, name="batch_detail"),
    path("cancel/", api_views.batch_cancel_view, name="batch_cancel"),
    path("export.csv", api_views.batch_export_csv, name="batch_export_csv"),
    path("export.json", api_views.batch_export_json, name="batch_export_json"),
]

urlpatterns = [
    path("batches/", api_views.batch_collection, name="batch_collection"),
    path("batches/<uuid:pk>/", include(batch_patterns)),
    # Anything else, even without its final slash, answers a JSON 404 rather than a redirect.
    re_path(r"", api_views.endpoint_not_found, name="endpoint_not_found"),
]
