"""Faults with messages in flight through the real path: signed webhook deliveries (this process) → Redis →
a real Celery worker process (thread pool, as fly/start.sh runs it) → the Graph API stand-in. The sweeper
runs once a second, standing in for beat's schedule. Each test prints sent / stored / answered once /
doubled / lost and asserts that nothing is doubled or lost."""

import os
import queue
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from alfred.models import Direction, Message
from alfred.sweeper import sweep_stuck
from tests.channels_wa.conftest import (
    APP_SECRET,
    META_TOKEN,
    SAMPLE_PHONE_ID,
    VERIFY_TOKEN,
    deliver,
    sample,
    values,
)
from tests.core.entry_points import CELERY, ROOT, configured_env
from tests.standins.graph_api import GraphAPIStandIn, Reply, graph_error

pytestmark = [pytest.mark.home, pytest.mark.django_db(transaction=True)]

MESSAGES = 60
# A short heartbeat so the test does not wait the production 15 s for a dead worker's key to lapse.
ALIVE_SECONDS = 3


def ping(n: int) -> dict[str, Any]:
    body = sample("message", "text")
    message = values(body)[0]["messages"][0]
    message.update(id=f"wamid.fault.{n}", text={"body": "ping"})
    return body


@pytest.fixture
def published() -> Iterator[None]:
    """Deliveries go to the real broker, not run inline: the worker is another process."""
    from settings.celery import app

    app.conf.task_always_eager = False
    app.control.purge()
    try:
        yield
    finally:
        app.control.purge()
        app.conf.task_always_eager = True


@pytest.fixture
def sweeping() -> Iterator[Counter[str]]:
    """The sweeper once a second; yields its running totals (``outbound_resent``, ...)."""
    stop = threading.Event()
    totals: Counter[str] = Counter()

    def sweep() -> None:
        from django.db import connection

        while not stop.wait(1.0):
            totals.update(vars(sweep_stuck()))
        connection.close()

    thread = threading.Thread(target=sweep, daemon=True)
    thread.start()
    yield totals
    stop.set()
    thread.join(10)


@pytest.fixture
def status_reports(graph: GraphAPIStandIn) -> Iterator[None]:
    """WhatsApp's "sent" status webhook for every reply the stand-in accepts, signed and delivered to the
    webhook in order by one thread, as Meta posts them."""
    bodies: queue.Queue[dict[str, Any] | None] = queue.Queue()

    def post() -> None:
        from django.db import connection

        client = Client()
        while (body := bodies.get()) is not None:
            assert deliver(client, body).status_code == 200
        connection.close()

    thread = threading.Thread(target=post, daemon=True)
    thread.start()
    graph.report_sends(bodies.put)
    yield
    bodies.put(None)
    thread.join(10)


@contextmanager
def worker(graph: GraphAPIStandIn, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    env = configured_env(
        WHATSAPP_API_BASE=graph.url,
        META_TOKEN=META_TOKEN,
        META_APP_SECRET=APP_SECRET,
        META_VERIFY_TOKEN=VERIFY_TOKEN,
        PHONE_ID=SAMPLE_PHONE_ID,
        WHATSAPP_MARK_AS_READ="0",
        WHATSAPP_ACK_REACTION="0",
        ALFRED_WORKER_ALIVE_SECONDS=str(ALIVE_SECONDS),
        TASKS_INLINE="0",
        # One member sends the whole burst, faster than the per-member limit allows: the limit is not under test.
        ALFRED_MEMBER_MESSAGES_PER_MINUTE="0",
    )
    argv = [CELERY, "-A", "settings", "worker", "--pool=threads", "--concurrency=4", "-Q", "alfred-home"]
    with log.open("ab") as out:
        process = subprocess.Popen(
            [*argv, "--without-mingle", "--without-gossip", "--loglevel", "WARNING"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def answers(graph: GraphAPIStandIn) -> Counter[str]:
    """Replies accepted by the stand-in, per member message they quote."""
    return Counter(send.get("context", {}).get("message_id", "") for send in graph.sends())


def wait_until(condition: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return bool(condition())


def tally(graph: GraphAPIStandIn, name: str) -> dict[str, int]:
    counted = answers(graph)
    ids = [f"wamid.fault.{n}" for n in range(MESSAGES)]
    figures = {
        "sent": MESSAGES,
        "stored": Message.objects.filter(direction=Direction.INBOUND, provider_message_id__in=ids).count(),
        "answered once": sum(1 for i in ids if counted[i] == 1),
        "doubled": sum(1 for i in ids if counted[i] > 1),
        "lost": sum(1 for i in ids if counted[i] == 0),
    }
    print(f"\n{name}: " + ", ".join(f"{key} {value}" for key, value in figures.items()))
    for lost in (i for i in ids if counted[i] == 0):
        row = Message.objects.filter(direction=Direction.OUTBOUND, reply_to__provider_message_id=lost).first()
        print(
            f"  lost {lost}: "
            + (f"{row.status} after {row.attempts} attempt(s): {row.error}" if row else "no reply row")
        )
    return figures


def all_answered(graph: GraphAPIStandIn) -> bool:
    counted = answers(graph)
    return all(counted[f"wamid.fault.{n}"] for n in range(MESSAGES))


def test_kill_9_of_the_worker_mid_run_every_message_is_answered_once_within_60s(
    wa_settings, graph, ana, published, sweeping, status_reports, tmp_path
):
    # A reply the killed worker was sending is sent again after this long without WhatsApp's report of it.
    wa_settings.ALFRED_UNCONFIRMED_SEND_SECONDS = 5
    # Meta takes a moment to answer a send: the kill finds replies in flight, which only the report settles.
    graph.script_sends(*[Reply(delay=0.05)] * MESSAGES)
    client = Client()
    with worker(graph, tmp_path / "worker.log") as first:
        for n in range(MESSAGES):
            assert deliver(client, ping(n)).status_code == 200
        assert wait_until(lambda: len(graph.sends()) >= MESSAGES // 4, 60), (tmp_path / "worker.log").read_text()
        os.kill(first.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        in_flight = sum(1 for request in list(graph.requests) if request.is_send and not request.answered)
        first.wait()
    answered_before = len(graph.sends())

    with worker(graph, tmp_path / "worker.log"):
        recovered = wait_until(lambda: all_answered(graph), 60)
        recovery = time.monotonic() - killed_at
        # A report still on its way could settle a resend too late; what is doubled shows in the tally below.
        time.sleep(2)

    resent = sweeping["outbound_resent"]
    figures = tally(
        graph,
        f"kill -9 after {answered_before} answers with {in_flight} in flight, recovered in {recovery:.1f}s, "
        f"{resent} unreported send(s) resent",
    )
    assert figures["stored"] == MESSAGES
    assert (figures["doubled"], figures["lost"]) == (0, 0)
    assert recovered and recovery <= 60


def test_bursts_of_429_and_5xx_from_the_provider_every_reply_goes_out_once(
    wa_settings, graph, ana, published, sweeping, tmp_path
):
    # Meta's rate limit (with Retry-After) and its temporary failures, in bursts while messages flow.
    burst = [graph_error(130429, "Rate limit hit", status=429, headers={"Retry-After": "1"})] * 5 + [
        Reply(status=503, body={"error": {}})
    ] * 5
    graph.script_sends(*burst, *[Reply()] * 10, *burst)
    client = Client()

    with worker(graph, tmp_path / "worker.log"):
        for n in range(MESSAGES):
            assert deliver(client, ping(n)).status_code == 200
        wait_until(lambda: all_answered(graph), 90)

    figures = tally(graph, "429/5xx bursts")
    assert figures["stored"] == MESSAGES
    assert (figures["doubled"], figures["lost"]) == (0, 0)
