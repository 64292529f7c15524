"""The Celery app. Configuration comes from Django settings (``CELERY_*``) so both instances share one definition."""

import os

from celery import Celery
from celery.signals import (
    beat_init,
    celeryd_init,
    setup_logging,
    task_postrun,
    task_prerun,
    worker_init,
)

from alfred.beat_thread import add_beat_thread_option

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings.home")

app = Celery("alfred")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# ``celery worker --beat-thread``: beat inside the worker without a fork (fly/start.sh).
add_beat_thread_option(app)


@celeryd_init.connect
def worker_logs_to_stdout(**kwargs: object) -> None:
    """The worker's first signal, before its privilege warning and its boot (whose refusal is logged): from
    here on its lines go to stdout, like gunicorn's."""
    from alfred.logs import log_to_stdout

    log_to_stdout()


@setup_logging.connect
def log_like_every_process(**kwargs: object) -> None:
    """Celery would replace the root logger's handlers with its own format (no instance, no redaction): a
    receiver of this signal makes it keep Django's configuration (``LOGGING``), JSON lines, here on stdout
    (sent by the worker and beat only). The level is ``LOG_LEVEL``'s, not ``--loglevel``'s."""
    import logging
    from logging.config import dictConfig

    from django.conf import settings

    from alfred.logs import RedactSecrets, log_to_stdout

    configured = any(isinstance(f, RedactSecrets) for handler in logging.getLogger().handlers for f in handler.filters)
    log_to_stdout()
    if not configured:  # else django.setup() has applied LOGGING already
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
    """Beat run on its own (``celery beat``) goes through the same door; in a thread of the worker (``--beat-thread``)
    it is the worker's, which has been through it."""
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
