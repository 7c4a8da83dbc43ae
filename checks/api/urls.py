"""Routes of the JSON API, included under /api/."""

from django.urls import path, re_path

from checks.api import views as api_views

app_name = "api"

urlpatterns = [
    path("batches/", api_views.batch_collection, name="batch_collection"),
    path("batches/<uuid:pk>/", api_views.batch_detail, name="batch_detail"),
    path("batches/<uuid:pk>/cancel/", api_views.batch_cancel_view, name="batch_cancel"),
    path("batches/<uuid:pk>/export.csv", api_views.batch_export_csv, name="batch_export_csv"),
    path("batches/<uuid:pk>/export.json", api_views.batch_export_json, name="batch_export_json"),
    # Anything else, even without its final slash, answers a JSON 404 rather than a redirect.
    re_path(r"", api_views.endpoint_not_found, name="endpoint_not_found"),
]
