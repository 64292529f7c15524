"""``fly/start.sh``'s process handling, fast: PY points at a bin directory whose python, celery and gunicorn
are small scripts. When a child dies the others are stopped and the script exits non-zero (Fly restarts the
machine); SIGTERM and SIGINT reach every child and the script exits once they have gone. The real processes
are started in tests/channels_wa/test_machine.py."""

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.home

ROOT = Path(__file__).resolve().parents[2]


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_for(condition, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


STUB = """#!/usr/bin/env bash
# A stand-in for {name}: records the signal it gets, then exits as the real one does on SIGTERM (0).
trap 'echo "{name} got $1" >> "$STUB_LOG"; exit 0' TERM
echo "{name} started $$" >> "$STUB_LOG"
while true; do sleep 0.1; done
"""


@pytest.fixture
def stub_machine(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    """start.sh's process handling alone, fast: PY points at a bin directory whose python, celery and
    gunicorn are small scripts."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").write_text("#!/usr/bin/env bash\nexit 0\n")
    for name in ("celery", "gunicorn"):
        (bin_dir / name).write_text(STUB.replace("{name}", name).replace("$1", "TERM"))
    for script in bin_dir.iterdir():
        script.chmod(0o755)
    log = tmp_path / "stubs.log"
    log.touch()
    env = {
        **os.environ,
        "PY": str(bin_dir / "python"),
        "STUB_LOG": str(log),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "m"),
    }
    process = subprocess.Popen(["bash", "fly/start.sh", "home"], cwd=ROOT, env=env, text=True, stderr=subprocess.PIPE)
    wait_for(lambda: log.read_text().count("started") == 2, timeout=20)
    try:
        yield process, log
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def started_pid(log: Path, name: str) -> int:
    return next(int(line.split()[-1]) for line in log.read_text().splitlines() if line.startswith(f"{name} started"))


@pytest.mark.parametrize("dying", ["gunicorn", "celery"])
def test_a_child_that_dies_stops_the_others_and_the_script_fails(stub_machine, dying):
    process, log = stub_machine
    survivor = {"gunicorn": "celery", "celery": "gunicorn"}[dying]

    os.kill(started_pid(log, dying), signal.SIGKILL)

    assert process.wait(timeout=20) == 128 + signal.SIGKILL
    assert f"{survivor} got TERM" in log.read_text()
    assert not alive(started_pid(log, survivor))
    assert "exited with status 137; stopping the others" in process.stderr.read()  # type: ignore[union-attr]


@pytest.mark.parametrize("sent", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_to_the_script_reaches_every_child_and_it_exits_once_they_have(stub_machine, sent):
    process, log = stub_machine

    process.send_signal(sent)

    assert process.wait(timeout=20) == 0
    # SIGINT (Fly's default kill signal) is passed on as SIGTERM, the graceful stop of gunicorn and Celery.
    assert "gunicorn got TERM" in log.read_text() and "celery got TERM" in log.read_text()
    assert not alive(started_pid(log, "gunicorn")) and not alive(started_pid(log, "celery"))
