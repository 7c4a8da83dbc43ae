# Loaded with Django, so that the Celery backend's shared tasks use the project's Celery app.
from wikicheck_site.celery import app as celery_app

__all__ = ("celery_app",)
