"""Helpers shared by the tests and the benchmark: waiting with a deadline instead of sleeping,
real processes (the fake wiki, runserver, gunicorn behind nginx, Celery workers), slow clients,
and many result rows fast.

Importing it needs no Django set-up, so the benchmark can import it before configuring Django.
"""

from tests.support.clients import SlowClients
from tests.support.processes import ROOT, process_end, wait_until
from tests.support.rows import results_copy
from tests.support.servers import (
    ServerProcess,
    gunicorn_start,
    login_page_answers,
    nginx_start,
    production_environment,
)
from tests.support.wiki import WikiProcess
from tests.support.workers import CeleryWorkers, broker_use

__all__ = [
    "ROOT",
    "CeleryWorkers",
    "ServerProcess",
    "SlowClients",
    "WikiProcess",
    "broker_use",
    "gunicorn_start",
    "login_page_answers",
    "nginx_start",
    "process_end",
    "production_environment",
    "results_copy",
    "wait_until",
]
