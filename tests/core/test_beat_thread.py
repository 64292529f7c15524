"""Beat as a thread of the Celery worker (``celery worker --beat-thread``, as fly/start.sh runs it): the periodic
tasks are sent, by no process other than the worker, so a worker killed with SIGKILL takes its beat with it
(issue 20: Celery's ``-B`` forked a beat that outlived the worker, and cost a second copy of the app)."""

import os
import subprocess
import time
from pathlib import Path

import pytest
from django.conf import settings

from tests.core.entry_points import CELERY, ROOT, configured_env


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


@pytest.mark.django_db(transaction=True)
def test_the_worker_sends_the_periodic_tasks_from_a_thread_and_forks_no_beat(tmp_path: Path):
    argv = [CELERY, "-A", "settings", "worker", "--beat-thread", "--pool=threads", "--concurrency=1"]
    argv += ["-Q", settings.CELERY_TASK_DEFAULT_QUEUE, "--without-mingle", "--without-gossip", "--loglevel", "INFO"]
    argv += ["--hostname", f"beat-thread-{os.getpid()}@%h", "--schedule", str(tmp_path / "celerybeat")]
    log_path = tmp_path / "worker.log"
    # The sweeper every second: the periodic task the schedule sends first.
    env = configured_env(ALFRED_SWEEP_EVERY_SECONDS="1", TASKS_INLINE="0")
    with log_path.open("w") as log:
        worker = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        swept = 0
        while swept < 2:
            assert worker.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, "beat sent no sweep:\n" + log_path.read_text()
            # Sent by the scheduler running in this process (beat's own log line).
            lines = log_path.read_text().splitlines()
            swept = sum("Sending due task alfred-sweep" in line for line in lines)
            time.sleep(0.2)
        assert children(worker.pid) == [], "the worker forked a process"

        worker.kill()
        worker.wait(timeout=10)
        assert worker.returncode == -9
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=10)


@pytest.mark.django_db(transaction=True)
def test_a_worker_whose_beat_dies_stops_rather_than_running_on_without_it(tmp_path: Path):
    # Beat cannot open its schedule file (its directory does not exist), as when var/ was missing.
    argv = [CELERY, "-A", "settings", "worker", "--beat-thread", "--pool=threads", "--concurrency=1"]
    argv += ["-Q", settings.CELERY_TASK_DEFAULT_QUEUE, "--without-mingle", "--without-gossip", "--loglevel", "INFO"]
    argv += ["--hostname", f"beat-dies-{os.getpid()}@%h", "--schedule", str(tmp_path / "missing" / "celerybeat")]
    log_path = tmp_path / "worker.log"
    with log_path.open("w") as log:
        worker = subprocess.Popen(
            argv, cwd=ROOT, env=configured_env(TASKS_INLINE="0"), stdout=log, stderr=subprocess.STDOUT
        )
    try:
        worker.wait(timeout=60)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait(timeout=10)
        raise AssertionError("the worker ran on without its beat:\n" + log_path.read_text()) from None
    assert "beat stopped on its own; stopping the worker" in log_path.read_text()
