"""The Django project: settings, URLs, the WSGI entry point, and the Celery app that only the
Celery backend and `celery -A wikicheck_site worker` load."""
