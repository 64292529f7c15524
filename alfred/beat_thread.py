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
import time
from typing import Any

import click
from celery import Celery, bootsteps
from celery.beat import Service
from celery.signals import worker_ready

logger = logging.getLogger(__name__)


# Set by Celery's ``worker_ready`` signal: the worker has started every step and handles SIGTERM as a warm stop.
worker_is_ready = threading.Event()
WAIT_FOR_READY_SECONDS = 60.0
# A tick (at most a second) and the schedule file's last write.
STOP_SECONDS = 10.0


@worker_ready.connect
def _worker_started(**kwargs: object) -> None:
    worker_is_ready.set()


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
                # Beat fails mostly at start (its schedule file), often before the worker is ready: the signal
                # waits for that, so that it meets a started worker's warm stop rather than its start-up.
                deadline = time.monotonic() + WAIT_FOR_READY_SECONDS
                while not worker_is_ready.wait(0.2) and not self.stopping and time.monotonic() < deadline:
                    pass
                if not self.stopping:
                    os.kill(os.getpid(), signal.SIGTERM)

    def stop(self) -> None:
        self.stopping = True
        # Not ``stop(wait=True)``: a beat that failed never reports itself stopped. Its loop ends within a tick
        # and writes the schedule file; joining the thread waits for exactly that.
        self.service.stop(wait=False)
        if self.is_alive():
            self.join(STOP_SECONDS)


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
