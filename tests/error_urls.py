"""The site's URLconf plus a view that fails, to see the 500 page."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from wikicheck_site.urls import urlpatterns as site_urlpatterns


@login_not_required
def fail(request):
    raise RuntimeError("a failure to show the 500 page")


urlpatterns = [*site_urlpatterns, path("fail/", fail)]
