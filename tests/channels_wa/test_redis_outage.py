"""Redis stopped for 10 s under load, as a Fly machine runs Alfred-Home (``fly/start.sh``: gunicorn, the Celery
worker with beat) on a redis-server of its own, against the test database, the Graph API stand-in as WhatsApp:
the webhook keeps answering 200 (the rows are in Postgres), and once Redis is back every message is answered
exactly once (the worker reconnects; the sweeper re-enqueues what the lost broker held)."""

import json
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from alfred.models import Direction, Message
from tests.channels_wa.conftest import APP_SECRET, URL, sample, values
from tests.channels_wa.test_machine import Machine, free_port, started_machine, wait_for
from tests.conftest import sign
from tests.standins.graph_api import GraphAPIStandIn

pytestmark = [pytest.mark.home, pytest.mark.django_db(transaction=True)]

BEFORE, DURING, AFTER = 20, 20, 20
OUTAGE_SECONDS = 10


class RedisServer:
    """A redis-server of this test's own on a free port, no persistence: stopping it loses what it held."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True).stdout
                 == b"PONG\n", timeout=10)  # fmt: skip

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def fault_machine(tmp_path: Path, graph: GraphAPIStandIn, **env: str) -> Iterator[Machine]:
    """``started_machine`` as the outage tests run it. One member sends them all: no per-member limit. The
    sweeper every 2 s, rows waiting 5 s taken back."""
    with started_machine(
        tmp_path,
        graph,
        ALFRED_MEMBER_MESSAGES_PER_MINUTE="0",
        ALFRED_SWEEP_EVERY_SECONDS="2",
        ALFRED_SWEEP_AFTER_SECONDS="5",
        **env,
    ) as running:
        yield running


@pytest.fixture
def machine_on_its_redis(tmp_path: Path, graph: GraphAPIStandIn, redis_server: RedisServer) -> Iterator[Machine]:
    with fault_machine(tmp_path, graph, REDIS_URL=redis_server.url) as running:
        yield running


def deliver_ping(base: str, n: int, tag: str = "redis-outage") -> int:
    """Post Ana's "ping" with id ``wamid.<tag>.<n>`` to the machine, signed; the webhook's status."""
    body = sample("message", "text")
    message = values(body)[0]["messages"][0]
    message.update(id=f"wamid.{tag}.{n}", text={"body": "ping"})
    raw = json.dumps(body).encode()
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(raw, APP_SECRET)}
    return httpx.post(f"{base}{URL}", content=raw, headers=headers, timeout=15).status_code


def test_redis_stopped_for_10s_webhooks_still_answer_200_and_every_message_is_answered_once(
    machine_on_its_redis: Machine, redis_server: RedisServer, graph: GraphAPIStandIn, ana
):
    machine = machine_on_its_redis
    machine.wait_until_serving()
    wait_for(lambda: any(" ready." in line for line in machine.log_lines()), message=machine.output)

    statuses = Counter(deliver_ping(machine.base, n) for n in range(BEFORE))
    redis_server.stop()
    stopped = time.monotonic()
    statuses.update(deliver_ping(machine.base, n) for n in range(BEFORE, BEFORE + DURING))
    time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - stopped)))
    redis_server.start()
    statuses.update(deliver_ping(machine.base, n) for n in range(BEFORE + DURING, BEFORE + DURING + AFTER))

    sent = BEFORE + DURING + AFTER

    def replies() -> Counter[str]:
        return Counter(reply.get("context", {}).get("message_id", "") for reply in graph.sends())

    def unanswered() -> str:
        missing = sorted(set(range(sent)) - {int(key.rsplit(".", 1)[1]) for key in replies() if key})
        rows = Message.objects.filter(
            direction=Direction.INBOUND, provider_message_id__in=[f"wamid.redis-outage.{n}" for n in missing]
        ).values_list("provider_message_id", "status", "error")
        return f"unanswered {missing}: {list(rows)}\n" + "\n".join(machine.log_lines()[-80:])

    wait_for(lambda: len(replies()) >= sent, timeout=60, message=unanswered)
    time.sleep(3)  # a doubled reply would come now
    answered = replies()
    stored = Message.objects.filter(direction=Direction.INBOUND).count()
    doubled = sum(1 for count in answered.values() if count > 1)
    lost = sent - len(answered)
    print(f"sent {sent}, webhook {dict(statuses)}, stored {stored}, answered {len(answered)}, "
          f"doubled {doubled}, lost {lost}")  # fmt: skip
    assert statuses == {200: sent}
    assert stored == sent
    assert (doubled, lost) == (0, 0)
