"""``celery worker --beat-thread``: beat as a thread of the worker, the layout ``fly/start.sh`` runs.

Celery's own ``-B`` forks beat from the worker: a second copy of the app (after 300 messages it held 58 MiB of
PSS, even with the worker's objects frozen before the fork; README "Benchmarks", memory). A thread costs what
its scheduler holds and sends the few periodic tasks just as well. It also dies with its worker: a worker
killed with SIGKILL leaves no beat behind to run every scheduled task twice beside the restarted one.

No Django here: the bench's bare project (``bench/bare_project``) adds the same option to its app, so the two
are measured in the same layout.
"""

from typing import Any

import click
from celery import Celery, bootsteps


class BeatThread(bootsteps.StartStopStep):
    label = "Beat thread"
    conditional = True

    def __init__(self, worker: Any, beat_thread: bool = False, **kwargs: Any) -> None:
        self.enabled = bool(beat_thread)
        super().__init__(worker, **kwargs)

    def create(self, worker: Any) -> Any:
        from celery.beat import EmbeddedService

        # The schedule file and scheduler class are the worker's ``--schedule`` / ``--scheduler``, as for -B.
        return EmbeddedService(
            worker.app, thread=True, schedule_filename=worker.schedule_filename, scheduler_cls=worker.scheduler
        )


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
