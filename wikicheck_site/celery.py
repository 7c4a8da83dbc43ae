"""The Celery app: `celery -A wikicheck_site worker` runs the Celery backend's task with the
project's settings."""

import os
import sys

from celery import Celery
from celery.signals import task_postrun, task_prerun
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wikicheck_site.settings")

# The backend's module binds its task to this app; a worker imports it at start.
app = Celery("wikicheck_site", include=["checks.engine.backends.celery"])
app.config_from_object("django.conf:settings", namespace="CELERY")
# Celery's Django fixup closes the task thread's database connection before and after every
# task, unless told how many tasks a connection may serve: a task of eight pages then paid for a
# new PostgreSQL session. Told "any number", it leaves the connection to DATABASE_CONN_MAX_AGE,
# which _connections_age() applies around each task as Django does around each request.
app.conf.CELERY_DB_REUSE_MAX = sys.maxsize


@task_prerun.connect
@task_postrun.connect
def _connections_age(*, sender, **kwargs) -> None:
    # A task run eagerly runs in its caller's thread, whose connection is the caller's to manage.
    if not sender.request.is_eager:
        close_old_connections()
