"""The site's routes: the pages, the JSON API under /api/, login and the admin."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("checks.web.urls")),
    path("api/", include("checks.api.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
]
