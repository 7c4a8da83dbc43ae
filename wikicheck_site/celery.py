"""The Celery app: `celery -A wikicheck_site worker` runs the Celery backend's task with the
project's settings."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wikicheck_site.settings")

# The backend's module binds its task to this app; a worker imports it at start.
app = Celery("wikicheck_site", include=["checks.engine.backends.celery"])
app.config_from_object("django.conf:settings", namespace="CELERY")
