"""Beat forked from the worker (``celery worker -B``, as fly/start.sh runs it): frozen before the fork so the
two processes keep sharing the app's pages, and gone when its worker is killed (issue 20)."""

import gc
import os
import signal
import subprocess
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings

from settings.celery import freeze_before_the_beat_fork
from tests.core.entry_points import CELERY, ROOT, configured_env


def test_the_worker_freezes_its_objects_only_when_it_forks_beat():
    before = gc.get_freeze_count()
    try:
        freeze_before_the_beat_fork(sender=SimpleNamespace(options={"beat": False}))
        assert gc.get_freeze_count() == before
        freeze_before_the_beat_fork(sender=SimpleNamespace(options={"beat": True}))
        assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_with_sigkill_takes_its_beat_child_with_it(tmp_path: Path):
    argv = [CELERY, "-A", "settings", "worker", "-B", "--pool=threads", "--concurrency=1"]
    argv += ["-Q", settings.CELERY_TASK_DEFAULT_QUEUE, "--without-mingle", "--without-gossip"]
    argv += ["--hostname", f"beat-fork-{os.getpid()}@%h", "--schedule", str(tmp_path / "celerybeat")]
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(argv, cwd=ROOT, env=configured_env(), stdout=log, stderr=subprocess.STDOUT)
    beat = 0
    try:
        deadline = time.monotonic() + 60
        while not beat:
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()
            assert time.monotonic() < deadline, "no beat child:\n" + (tmp_path / "worker.log").read_text()
            beat = next(iter(children(worker.pid)), 0)
            time.sleep(0.2)
        time.sleep(1)  # past beat_embedded_init

        worker.kill()
        worker.wait(timeout=10)

        deadline = time.monotonic() + 10
        while alive(beat) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not alive(beat), "beat outlived its worker"
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=10)
        if beat and alive(beat):
            os.kill(beat, signal.SIGKILL)
