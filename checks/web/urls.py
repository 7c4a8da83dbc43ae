"""Routes of the site's pages: the submit form, the history, a batch's page and its actions, the
saved lists and one page's history."""

from django.urls import path

from checks.web import export_views, list_views, token_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("batches/", views.batch_list, name="batch_list"),
    path("batches/<uuid:pk>/", views.batch_detail, name="batch_detail"),
    path("batches/<uuid:pk>/progress/", views.batch_progress, name="batch_progress"),
    path("batches/<uuid:pk>/cancel/", views.batch_cancel_view, name="batch_cancel"),
    path("batches/<uuid:pk>/rename/", views.batch_rename_view, name="batch_rename"),
    path("batches/<uuid:pk>/titles.txt", export_views.batch_titles, name="batch_titles"),
    path("batches/<uuid:pk>/resume/", views.batch_resume_view, name="batch_resume"),
    path("batches/<uuid:pk>/rerun/", views.batch_rerun_view, name="batch_rerun"),
    path("batches/<uuid:pk>/retry/", views.batch_retry_view, name="batch_retry"),
    path("batches/<uuid:pk>/delete/", views.batch_delete_view, name="batch_delete"),
    path("batches/<uuid:pk>/export.csv", export_views.batch_export_csv, name="batch_export_csv"),
    path("batches/<uuid:pk>/export.json", export_views.batch_export_json, name="batch_export_json"),
    path("lists/", list_views.list_list, name="list_list"),
    path("lists/new/", list_views.list_create, name="list_create"),
    path("lists/<int:pk>/", list_views.list_detail, name="list_detail"),
    path("lists/<int:pk>/run/", list_views.list_run_view, name="list_run"),
    path("lists/<int:pk>/edit/", list_views.list_edit, name="list_edit"),
    path("lists/<int:pk>/delete/", list_views.list_delete_view, name="list_delete"),
    path("pages/", list_views.page_history_view, name="page_history"),
    path("tokens/", token_views.token_list, name="token_list"),
    path("tokens/<int:pk>/revoke/", token_views.token_revoke, name="token_revoke"),
]
