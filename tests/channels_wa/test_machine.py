"""``fly/start.sh`` as a Fly machine runs it: real gunicorn, a real Celery worker with beat inside it, against
the test database and Redis, the Graph API stand-in as WhatsApp.

- a message posted to gunicorn is answered by the worker, and one scrape of ``/metrics`` (served by gunicorn's
  worker process) adds up what the web process counted (received) and what the Celery process counted (sent);
- SIGTERM stops every process of the tree and the script exits 0.

The script's process handling alone (a child dies, signals) is tested fast in tests/core/test_start_script.py.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.channels_wa.conftest import (
    APP_SECRET,
    META_TOKEN,
    SAMPLE_PHONE_ID,
    URL,
    VERIFY_TOKEN,
    sample,
    values,
)
from tests.conftest import sign
from tests.core.entry_points import configured_env
from tests.core.test_metrics import TOKEN
from tests.standins.graph_api import GraphAPIStandIn

pytestmark = [pytest.mark.home, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def descendants(pid: int) -> set[int]:
    found: set[int] = set()
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return found
    for child in map(int, children):
        found |= {child, *descendants(child)}
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class Machine:
    def __init__(self, process: subprocess.Popen[str], base: str) -> None:
        self.process, self.base = process, base

    def wait_until_serving(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.output()
            try:
                httpx.get(f"{self.base}/metrics", timeout=2)
                return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise AssertionError("start.sh did not serve in time:\n" + self.output())

    def log_lines(self) -> list[str]:
        return Path(self.log).read_text().splitlines()

    def output(self) -> str:
        return "\n".join(self.log_lines()[-40:])

    log = ""


@contextmanager
def started_machine(tmp_path: Path, graph: GraphAPIStandIn, **env: str) -> Iterator[Machine]:
    """``bash fly/start.sh home`` against the test database, the stand-in as WhatsApp (``env``: more variables,
    or other values); every process of its tree is killed afterwards."""
    port = free_port()
    environment = configured_env(
        PORT=str(port),
        PY=sys.executable,
        TASKS_INLINE="0",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
        ALFRED_METRICS_TOKEN=TOKEN,
        META_TOKEN=META_TOKEN,
        META_APP_SECRET=APP_SECRET,
        META_VERIFY_TOKEN=VERIFY_TOKEN,
        PHONE_ID=SAMPLE_PHONE_ID,
        WHATSAPP_API_BASE=graph.url,
        WHATSAPP_API_VERSION="23.0",
        WHATSAPP_MARK_AS_READ="0",
        **env,
    )
    log = tmp_path / "start.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            ["bash", "fly/start.sh", "home"],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )
    running = Machine(process, f"http://127.0.0.1:{port}")
    running.log = str(log)
    try:
        yield running
    finally:
        for pid in descendants(process.pid):
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


@pytest.fixture
def machine(tmp_path: Path, graph: GraphAPIStandIn) -> Iterator[Machine]:
    with started_machine(tmp_path, graph) as running:
        yield running


def wait_for(condition, timeout: float = 60.0, message=lambda: "") -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out\n{message()}"
        time.sleep(0.3)


def test_a_message_through_gunicorn_and_celery_is_counted_once_in_one_scrape_then_sigterm_stops_all(
    machine, graph, ana
):
    machine.wait_until_serving()
    worker_ready = lambda: any(" ready." in line and "celery.apps.worker" in line for line in machine.log_lines())  # noqa: E731
    wait_for(worker_ready, message=machine.output)
    body = sample("message", "text")
    message = values(body)[0]["messages"][0]
    message["id"], message["text"]["body"] = "wamid.start-sh-round-trip", "ping"
    raw = json.dumps(body).encode()

    answer = httpx.post(
        f"{machine.base}{URL}",
        content=raw,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": sign(raw, APP_SECRET)},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    wait_for(lambda: len(graph.sends()) == 1)

    assert httpx.get(f"{machine.base}/metrics", timeout=5).status_code == 401
    scrape = httpx.get(f"{machine.base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10).text
    lines = set(scrape.splitlines())
    # Received: counted by gunicorn's worker process. Handled and sent: by the Celery worker. One scrape has all.
    for labels in ('direction="in",instance="home",status="received"', 'direction="out",instance="home",status="sent"'):
        assert f'alfred_messages_total{{channel="whatsapp",{labels}}} 1.0' in lines, scrape
    assert 'alfred_reply_latency_seconds_count{channel="whatsapp",instance="home",path="rules"} 1.0' in lines
    assert any(line.startswith('alfred_http_requests_total{instance="home",method="POST"') for line in lines)

    tree = descendants(machine.process.pid)
    assert len(tree) >= 3  # gunicorn master and worker, the Celery worker (and beat, its child)
    machine.process.send_signal(signal.SIGTERM)

    assert machine.process.wait(timeout=60) == 0, machine.output()
    wait_for(lambda: not [pid for pid in tree if alive(pid)], timeout=10)
    # Every line the machine printed is a JSON log line of the home instance (README "Isolation" 5), but the
    # two that Celery's and start.sh's own signal handling print.
    printed = [line for line in machine.log_lines() if line.strip()]
    plain = {"worker: Warm shutdown (MainProcess)", "start.sh: stopped on SIGTERM"}
    records = [json.loads(line) for line in printed if line not in plain]
    assert {record["instance"] for record in records} == {"home"}
    assert {"gunicorn.error", "gunicorn.access", "celery.apps.worker"} <= {record["logger"] for record in records}
    assert VERIFY_TOKEN not in "\n".join(printed) and META_TOKEN not in "\n".join(printed)
