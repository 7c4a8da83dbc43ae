"""The Celery app: `celery -A wikicheck_site worker` runs the engine's tasks with the settings."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wikicheck_site.settings")

app = Celery("wikicheck_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["checks.engine"])
