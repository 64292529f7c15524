"""The Celery app. Configuration comes from Django settings (``CELERY_*``) so both instances share one definition."""

import os

from celery import Celery
from celery.signals import beat_init, setup_logging, task_postrun, task_prerun, worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings.home")

app = Celery("alfred")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def log_like_every_process(**kwargs: object) -> None:
    """Celery would replace the root logger's handlers with its own format (no instance, no redaction): a
    receiver of this signal makes it keep Django's configuration (``LOGGING``), JSON lines on stdout. The
    level is ``LOG_LEVEL``'s, not ``--loglevel``'s."""
    import logging
    from logging.config import dictConfig

    from django.conf import settings

    from alfred.logs import RedactSecrets

    if any(isinstance(f, RedactSecrets) for handler in logging.getLogger().handlers for f in handler.filters):
        return  # django.setup() has applied LOGGING already
    dictConfig(settings.LOGGING)


@worker_init.connect
def refuse_to_start_worker(**kwargs: object) -> None:
    """A worker with a mixed-up configuration must not start, exactly like the web process."""
    from alfred.boot import WORKER, exit_unless_booted

    exit_unless_booted(WORKER)
    from alfred.liveness import start_heartbeat

    start_heartbeat()


@beat_init.connect
def refuse_to_start_beat(**kwargs: object) -> None:
    """Beat (``-B`` inside the worker or on its own) goes through the same door."""
    from alfred.boot import BEAT, exit_unless_booted

    exit_unless_booted(BEAT)


@task_prerun.connect
@task_postrun.connect
def database_connections_like_a_request(sender: object = None, **kwargs: object) -> None:
    """Around each task, what Django does around each request: keep the thread's connection for
    ``CONN_MAX_AGE`` and drop it only when it is broken (a restarted Postgres) or too old."""
    if getattr(getattr(sender, "request", None), "is_eager", False):
        return
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        connection.close_if_unusable_or_obsolete()
