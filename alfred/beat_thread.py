"""``celery worker --beat-thread``: beat as a thread of the worker, the layout ``fly/start.sh`` runs.

Celery's own ``-B`` forks beat from the worker: a second copy of the app (after 300 messages it held 58 MiB of
PSS, even with the worker's objects frozen before the fork; README "Benchmarks", memory). A thread costs what
its scheduler holds and sends the few periodic tasks just as well. It also dies with its worker: a worker
killed with SIGKILL leaves no beat behind to run every scheduled task twice beside the restarted one.

No Django here: the bench's bare project (``bench/bare_project``) adds the same option to its app, so the two
are measured in the same layout.
"""

import logging
import os
import signal
import threading
from typing import Any

import click
from celery import Celery, bootsteps
from celery.beat import Service

logger = logging.getLogger(__name__)


class Beat(threading.Thread):
    """Celery's beat service in a thread (what ``celery.beat.EmbeddedService(thread=True)`` builds), which stops
    its worker when it ends unasked: a worker whose beat has died would go on without the sweeper and every
    other periodic task, and nothing would notice. Stopped, it makes fly/start.sh stop the machine, and Fly
    restarts it."""

    def __init__(self, app: Celery, *, schedule_filename: str, scheduler_cls: Any) -> None:
        super().__init__(name="Beat", daemon=True)
        self.app = app
        # One second between ticks at most, so that a stopping worker does not wait on a sleeping beat.
        self.service = Service(app, max_interval=1, schedule_filename=schedule_filename, scheduler_cls=scheduler_cls)
        self.stopping = False

    def run(self) -> None:
        self.app.set_current()
        try:
            self.service.start()
        finally:
            if not self.stopping:
                logger.critical("beat stopped on its own; stopping the worker")
                os.kill(os.getpid(), signal.SIGTERM)

    def stop(self) -> None:
        self.stopping = True
        if self.is_alive():  # a beat that died at start never reports itself stopped: do not wait for it
            self.service.stop(wait=True)


class BeatThread(bootsteps.StartStopStep):
    label = "Beat thread"
    conditional = True

    def __init__(self, worker: Any, beat_thread: bool = False, **kwargs: Any) -> None:
        self.enabled = bool(beat_thread)
        super().__init__(worker, **kwargs)

    def create(self, worker: Any) -> Any:
        # The schedule file and scheduler class are the worker's ``--schedule`` / ``--scheduler``, as for -B.
        return Beat(worker.app, schedule_filename=worker.schedule_filename, scheduler_cls=worker.scheduler)


def add_beat_thread_option(app: Celery) -> None:
    """Give ``celery worker`` the ``--beat-thread`` flag and the step it enables."""
    app.user_options["worker"].add(
        click.Option(
            ["--beat-thread"],
            is_flag=True,
            default=False,
            help="Run beat (the periodic tasks) in a thread of this worker, not a forked process (-B).",
        )
    )
    app.steps["worker"].add(BeatThread)
