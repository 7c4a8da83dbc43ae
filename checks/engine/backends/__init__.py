"""Where checks run: this process's thread pool, or Celery's workers. One backend per process,
built from WIKICHECK_BACKEND (a dotted class path, as SESSION_ENGINE is), so callers never ask
which one it is."""

import threading

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from checks import conf
from checks.engine.backends.base import Backend

# What the backend is built from: a change (in tests) builds a fresh one.
BUILT_FROM = frozenset({"WIKICHECK_BACKEND", "WIKICHECK_MAX_WORKERS"})

# Reentrant: the signal handlers ask for the backend, maybe while their thread is in here.
_lock = threading.RLock()
_backend: Backend | None = None


def backend() -> Backend:
    """This process's backend, built on first use."""
    global _backend
    with _lock:
        if _backend is None:
            _backend = import_string(conf.current().backend)()
        return _backend


@receiver(setting_changed)
def _rebuild(*, setting: str, **kwargs) -> None:
    global _backend
    if setting not in BUILT_FROM:
        return
    with _lock:
        previous, _backend = _backend, None
    if previous is not None:
        previous.shutdown(wait=True)
