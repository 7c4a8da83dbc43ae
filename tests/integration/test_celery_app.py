"""The Celery app: a worker's task threads keep their database connections as
DATABASE_CONN_MAX_AGE says."""

import pytest
from celery.fixups.django import DjangoWorkerFixup
from celery.signals import task_postrun
from django.db import connection

from checks.engine.backends.celery import chunk_check
from wikicheck_site.celery import app as celery_app


def task_ends() -> None:
    """What a worker runs after each task: Celery's Django fixup (installed by workers only),
    then the app's handlers of the signal."""
    DjangoWorkerFixup(celery_app).on_task_postrun(sender=chunk_check)
    task_postrun.send(sender=chunk_check, task_id="1", task=chunk_check, args=(), kwargs={})


@pytest.fixture
def conn_max_age():
    """Set DATABASE_CONN_MAX_AGE for the next connection this thread opens."""
    before = connection.settings_dict["CONN_MAX_AGE"]

    def reconnect(seconds: int) -> None:
        connection.close()
        connection.settings_dict["CONN_MAX_AGE"] = seconds
        connection.ensure_connection()

    yield reconnect
    connection.close()
    connection.settings_dict["CONN_MAX_AGE"] = before


@pytest.mark.django_db(transaction=True)
def test_a_task_thread_keeps_its_connection_between_tasks_within_its_max_age(conn_max_age):
    conn_max_age(60)
    opened = connection.connection

    task_ends()

    assert connection.connection is opened


@pytest.mark.django_db(transaction=True)
def test_a_task_thread_closes_its_connection_after_each_task_by_default(conn_max_age):
    conn_max_age(0)

    task_ends()

    assert connection.connection is None
