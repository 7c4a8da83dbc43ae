"""WSGI entry point: `gunicorn wikicheck_site.wsgi`; checking starts as the process boots, and
SIGTERM and SIGINT stop it at once."""

import os
import signal
import threading

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wikicheck_site.settings")

application = get_wsgi_application()

from checks.engine.backends import backend  # noqa: E402 (needs the settings configured above)


def _stop_then(previous):
    """A handler that stops the backend, then does what the signal did before."""

    def handler(signum: int, frame) -> None:
        # Unstarted work goes back to the queue now; checks in flight are stored at exit.
        backend().shutdown(wait=False)
        if callable(previous):
            previous(signum, frame)
        elif previous == signal.SIG_DFL:
            # The default would end the process on the spot; exiting lets checks in flight
            # be stored first.
            raise SystemExit(128 + signum)

    return handler


# The serving process picks up work left pending (a restart, another process's batches) as it
# boots, not on the first request someone happens to send. gunicorn loads the app in each worker
# after the fork (preload_app stays off), and runserver in its serving process.
# Before the handlers: a signal during the backend's first import would import it again, half
# done.
backend().work_resume()

# Only the main thread may set handlers; elsewhere (e.g. under the autoreloader) the process
# exits as Python does, running what the pool holds and storing it.
if threading.current_thread() is threading.main_thread():
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _stop_then(signal.getsignal(signum)))
