"""Routes of the JSON API, included under /api/."""

from django.urls import include, path, re_path

from checks.api import list_views
from checks.api import views as api_views

app_name = "api"

# Under a batch's address: its state and results (renaming and deleting it too), cancelling,
# resuming, re-running and retrying it, and its downloads.
batch_patterns = [
    path("", api_views.batch_detail, name="batch_detail"),
    path("cancel/", api_views.batch_cancel_view, name="batch_cancel"),
    path("resume/", api_views.batch_resume_view, name="batch_resume"),
    path("rerun/", api_views.batch_rerun_view, name="batch_rerun"),
    path("retry/", api_views.batch_retry_view, name="batch_retry"),
    path("export.csv", api_views.batch_export_csv, name="batch_export_csv"),
    path("export.json", api_views.batch_export_json, name="batch_export_json"),
]

# Under a list's address: its runs and schedule, deleting it, and running it now.
list_patterns = [
    path("", list_views.list_detail, name="list_detail"),
    path("run/", list_views.list_run_view, name="list_run"),
]

urlpatterns = [
    path("schema/", api_views.schema_view, name="schema"),
    path("batches/", api_views.batch_collection, name="batch_collection"),
    path("batches/<uuid:pk>/", include(batch_patterns)),
    path("lists/", list_views.list_collection, name="list_collection"),
    path("lists/<int:pk>/", include(list_patterns)),
    # Anything else, even without its final slash, answers a JSON 404 rather than a redirect.
    re_path(r"", api_views.endpoint_not_found, name="endpoint_not_found"),
]
