"""Routes of the site's pages: the submit form, the history, a batch's page and its actions."""

from django.urls import path

from checks.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("batches/", views.batch_list, name="batch_list"),
    path("batches/<uuid:pk>/", views.batch_detail, name="batch_detail"),
    path("batches/<uuid:pk>/progress/", views.batch_progress, name="batch_progress"),
    path("batches/<uuid:pk>/cancel/", views.batch_cancel_view, name="batch_cancel"),
    path("batches/<uuid:pk>/rerun/", views.batch_rerun_view, name="batch_rerun"),
    path("batches/<uuid:pk>/retry/", views.batch_retry_view, name="batch_retry"),
    path("batches/<uuid:pk>/delete/", views.batch_delete_view, name="batch_delete"),
    path("batches/<uuid:pk>/export.csv", views.batch_export_csv, name="batch_export_csv"),
    path("batches/<uuid:pk>/export.json", views.batch_export_json, name="batch_export_json"),
]
