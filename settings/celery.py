"""The Celery app. Configuration comes from Django settings (``CELERY_*``) so both instances share one definition."""

import os

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings.home")

app = Celery("alfred")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def refuse_to_start_on_failed_checks(**kwargs: object) -> None:
    """A worker with a mixed-up configuration must not start, exactly like the web process."""
    from alfred.checks import assert_startup_checks

    assert_startup_checks()
