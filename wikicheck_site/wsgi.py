"""WSGI entry point: `gunicorn wikicheck_site.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wikicheck_site.settings")

application = get_wsgi_application()

from checks import runner  # noqa: E402 (needs the settings configured above)

# SIGTERM should stop the checking pool at once instead of letting the exit hook drain it.
runner.signals_install()
