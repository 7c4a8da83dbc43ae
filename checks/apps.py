from django.apps import AppConfig


class ChecksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "checks"
    verbose_name = "Page checks"

    def ready(self) -> None:
        from checks.engine.sweep import sweep_also
        from checks.watch.sweep import watch_sweep

        # Every sweep of either backend fires the lists' schedules; with Celery, the one
        # worker holding the sweep's turn does, so no beat process is needed.
        sweep_also(watch_sweep)
