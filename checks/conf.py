"""The app's WIKICHECK_* settings as typed values, read once: the only module that reads them."""

# `conf.current()` is rebuilt only when a test changes a setting (Django's `setting_changed`), so
# a unit of work never pays for reading the settings again.

import functools
from dataclasses import dataclass

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

# WIKICHECK_BACKEND names one of these, as SESSION_ENGINE names a session backend.
BACKENDS = {
    "threads": "checks.engine.backends.threads.ThreadsBackend",
    "celery": "checks.engine.backends.celery.CeleryBackend",
}


@dataclass(frozen=True)
class Conf:
    backend: str  # dotted path of the class that runs the checks
    max_workers: int
    timeout: tuple[float, float]  # connect and read, seconds
    default_wiki: str
    allowed_hosts: tuple[str, ...]
    allow_private_addresses: bool
    api_paths: tuple[tuple[str, str], ...]  # host pattern, API path
    host_concurrency: tuple[tuple[str, int], ...]  # host pattern, concurrent requests
    host_limiter_url: str
    host_slot_seconds: float  # a slot's lease in Redis, renewed by the heartbeat
    contact: str
    retries: int
    retry_after_max: int
    maxlag: int
    sweep_seconds: float
    heartbeat_seconds: float
    heartbeat_timeout: float
    chunk_pages: int
    max_batch: int
    strict_titles: bool  # a forbidden title refuses the submission
    max_upload_bytes: int
    user_max_pending: int
    user_batches_per_hour: int
    poll_seconds: float
    search_budget_ms: int
    login_address_failure_limit: int
    site_url: str  # links in e-mails and webhooks
    webhook_hosts: tuple[str, ...]
    webhook_attempts: int
    lists_in_sweep: bool


@functools.cache
def current() -> Conf:
    """The settings as they are now."""
    return Conf(
        backend=BACKENDS.get(settings.WIKICHECK_BACKEND, settings.WIKICHECK_BACKEND),
        max_workers=settings.WIKICHECK_MAX_WORKERS,
        timeout=tuple(settings.WIKICHECK_TIMEOUT),
        default_wiki=settings.WIKICHECK_DEFAULT_WIKI,
        allowed_hosts=tuple(settings.WIKICHECK_ALLOWED_HOSTS),
        allow_private_addresses=settings.WIKICHECK_ALLOW_PRIVATE_ADDRESSES,
        api_paths=tuple(tuple(pair) for pair in settings.WIKICHECK_API_PATHS),
        host_concurrency=tuple(tuple(pair) for pair in settings.WIKICHECK_HOST_CONCURRENCY),
        host_limiter_url=settings.WIKICHECK_HOST_LIMITER_URL,
        host_slot_seconds=settings.WIKICHECK_HEARTBEAT_TIMEOUT,
        contact=settings.WIKICHECK_CONTACT,
        retries=settings.WIKICHECK_RETRIES,
        retry_after_max=settings.WIKICHECK_RETRY_AFTER_MAX,
        maxlag=settings.WIKICHECK_MAXLAG,
        sweep_seconds=settings.WIKICHECK_SWEEP_SECONDS,
        heartbeat_seconds=settings.WIKICHECK_HEARTBEAT_SECONDS,
        heartbeat_timeout=settings.WIKICHECK_HEARTBEAT_TIMEOUT,
        chunk_pages=settings.WIKICHECK_CHUNK_PAGES,
        max_batch=settings.WIKICHECK_MAX_BATCH,
        strict_titles=settings.WIKICHECK_STRICT_TITLES,
        max_upload_bytes=settings.WIKICHECK_MAX_UPLOAD_BYTES,
        user_max_pending=settings.WIKICHECK_USER_MAX_PENDING,
        user_batches_per_hour=settings.WIKICHECK_USER_BATCHES_PER_HOUR,
        poll_seconds=settings.WIKICHECK_POLL_SECONDS,
        search_budget_ms=settings.WIKICHECK_SEARCH_BUDGET_MS,
        login_address_failure_limit=settings.WIKICHECK_LOGIN_ADDRESS_FAILURE_LIMIT,
        site_url=settings.WIKICHECK_SITE_URL,
        webhook_hosts=tuple(settings.WIKICHECK_WEBHOOK_HOSTS),
        webhook_attempts=max(settings.WIKICHECK_WEBHOOK_ATTEMPTS, 1),
        lists_in_sweep=settings.WIKICHECK_LISTS_IN_SWEEP,
    )


@receiver(setting_changed)
def _forget(*, setting: str, **kwargs) -> None:
    if setting.startswith("WIKICHECK_"):
        current.cache_clear()
