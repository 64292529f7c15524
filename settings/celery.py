"""The Celery app. Configuration comes from Django settings (``CELERY_*``) so both instances share one definition."""

import os

from celery import Celery
from celery.signals import beat_init, worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings.home")

app = Celery("alfred")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def refuse_to_start_worker(**kwargs: object) -> None:
    """A worker with a mixed-up configuration must not start, exactly like the web process."""
    from alfred.boot import WORKER, exit_unless_booted

    exit_unless_booted(WORKER)


@beat_init.connect
def refuse_to_start_beat(**kwargs: object) -> None:
    """Beat (``-B`` inside the worker or on its own) goes through the same door."""
    from alfred.boot import BEAT, exit_unless_booted

    exit_unless_booted(BEAT)
