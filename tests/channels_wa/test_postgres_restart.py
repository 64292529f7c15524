"""Postgres restarted under load, as a Fly machine runs Alfred-Home (``fly/start.sh``: gunicorn, the Celery worker
with beat) on a Postgres server and a redis-server of this test's own, the Graph API stand-in as WhatsApp.

The suite's Postgres serves every test (and other checkouts), so it cannot be stopped: the test makes a
throwaway cluster (``initdb`` in a temporary directory, a free port), migrates it as the ordinary role
``alfred_app`` (row-level security, as ``make test`` and a deployment have it) and seeds Ana, the sender of the
sample payloads. Then it stops that server while deliveries keep coming: the webhook answers 503 (the rows
cannot be kept), the test re-delivers each refused one once the server is back, as Meta retries, and every
message is stored once and answered exactly once; the machine keeps running throughout."""

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.channels_wa.conftest import SAMPLE_SENDER
from tests.channels_wa.test_faults import answers, wait_until
from tests.channels_wa.test_machine import ROOT, Machine, free_port, wait_for
from tests.channels_wa.test_redis_outage import RedisServer, deliver_ping, fault_machine
from tests.core.entry_points import configured_env
from tests.standins.graph_api import GraphAPIStandIn

pytestmark = [pytest.mark.home]

BEFORE, DURING, AFTER = 20, 20, 20
OUTAGE_SECONDS = 8
TAG = "pg-restart"
# "immediate": the postmaster and its backends quit at once, as on a crash, and the restart replays the WAL;
# harsher than "fast" (which also passes), which rolls back open transactions and checkpoints first.
STOP_MODE = "immediate"


def postgres_bin() -> Path:
    """The newest Postgres server binaries of the machine (Debian's layout, else the PATH's)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    assert initdb, "no Postgres server binaries (initdb) on this machine"
    return Path(initdb).parent


class PostgresServer:
    """A Postgres cluster of this test's own: data directory and unix socket in a temporary directory, TCP on
    a free loopback port, trust authentication. Postgres refuses to run as root, so under root its commands run
    as the ``postgres`` user, which owns the directory."""

    def __init__(self) -> None:
        self.bin = postgres_bin()
        self.port = free_port()
        # Not pytest's tmp_path: its parents are private to root, and the postgres user must reach the directory.
        self.dir = Path(tempfile.mkdtemp(prefix="alfred-pg-"))
        self.data = self.dir / "data"
        self.as_server_user: list[str] = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.dir, user.pw_uid, user.pw_gid)
            self.as_server_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, program: str, *args: str) -> None:
        done = subprocess.run(
            [*self.as_server_user, str(self.bin / program), *args], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, f"{program} {' '.join(args)}:\n{done.stdout}{done.stderr}\n{self.log()}"

    def log(self) -> str:
        path = self.dir / "server.log"
        return path.read_text()[-4000:] if path.exists() else ""

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C",
                  "--no-sync")  # fmt: skip

    def start(self) -> None:
        # fsync off: the test stops the server, never the machine under it, so the WAL replay has all it needs.
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.dir / "server.log"), "-o", options, "-w", "-t", "30",
                  "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def url(self, database: str, user: str = "alfred_app:alfred_app") -> str:
        return f"postgres://{user}@127.0.0.1:{self.port}/{database}"

    def remove(self) -> None:
        if self.running():
            self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer()
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.remove()


def home_database(server: PostgresServer, redis_url: str) -> str:
    """A home database on ``server`` as ``scripts/ensure_services.sh`` and a deploy make one: owned by the
    ordinary role alfred_app, migrated by it (which forces row-level security on every table), with Ana, the
    sender of the sample payloads, as a member. Its URL."""
    with psycopg.connect(server.url("postgres", user="postgres"), autocommit=True) as admin:
        admin.execute("CREATE ROLE alfred_app LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD 'alfred_app'")
        admin.execute("CREATE DATABASE alfred_home OWNER alfred_app")
    url = server.url("alfred_home")
    env = configured_env(DATABASE_URL=url, REDIS_URL=redis_url)
    seed = (
        "from tests.helpers import member_on\n"
        f"member_on('whatsapp', '+{SAMPLE_SENDER}', name='Ana', language='en', is_admin=True)\n"
    )
    for command in (["migrate", "-v0"], ["shell", "-c", seed]):
        done = subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=120)  # fmt: skip
        assert done.returncode == 0, f"manage.py {command[0]}:\n{done.stdout}{done.stderr}"
    return url


@pytest.fixture
def machine_on_its_postgres(
    tmp_path: Path, graph: GraphAPIStandIn, postgres_server: PostgresServer
) -> Iterator[Machine]:
    # Its own broker too: no task left in a shared Redis by another run names a row of this new database.
    redis = RedisServer()
    redis.start()
    try:
        url = home_database(postgres_server, redis.url)
        with fault_machine(tmp_path, graph, DATABASE_URL=url, REDIS_URL=redis.url) as running:
            yield running
    finally:
        redis.stop()


def rows(server: PostgresServer, query: str) -> list[tuple[Any, ...]]:
    """Rows of the private database, read as the home instance (row-level security admits nothing else)."""
    with psycopg.connect(server.url("alfred_home"), options="-c alfred.instance=home") as conn:
        return conn.execute(query, {"ids": f"wamid.{TAG}.%"} if "%(ids)s" in query else None).fetchall()


def test_postgres_restarted_under_load_webhooks_answer_503_meanwhile_and_every_message_is_answered_once(
    machine_on_its_postgres: Machine, postgres_server: PostgresServer, graph: GraphAPIStandIn
):
    machine = machine_on_its_postgres
    machine.wait_until_serving()
    wait_for(lambda: any(" ready." in line for line in machine.log_lines()), message=machine.output)
    status: dict[int, int] = {}

    for n in range(BEFORE):
        status[n] = deliver_ping(machine.base, n, TAG)
    # Stopped at once, with the worker still handling and sending what came before.
    postgres_server.stop(STOP_MODE)
    stopped = time.monotonic()
    for n in range(BEFORE, BEFORE + DURING):
        status[n] = deliver_ping(machine.base, n, TAG)
        time.sleep(max(0.0, stopped + (n - BEFORE + 1) * OUTAGE_SECONDS * 0.8 / DURING - time.monotonic()))
    time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - stopped)))
    postgres_server.start()
    # Meta retries a delivery that was not answered 200.
    retried = {n: deliver_ping(machine.base, n, TAG) for n in sorted(status) if status[n] != 200}
    for n in range(BEFORE + DURING, BEFORE + DURING + AFTER):
        status[n] = deliver_ping(machine.base, n, TAG)

    sent = BEFORE + DURING + AFTER
    ids = [f"wamid.{TAG}.{n}" for n in range(sent)]

    def unanswered() -> str:
        counted = answers(graph)
        missing = [i for i in ids if not counted[i]]
        left = rows(postgres_server, "SELECT id, direction, provider_message_id, reply_to_id, status, error "
                                     "FROM alfred_message WHERE status NOT IN ('handled', 'sent')")  # fmt: skip
        return f"unanswered {missing}, rows not settled {left}\n" + "\n".join(machine.log_lines()[-80:])

    def settled() -> bool:
        # A reply that went out as Postgres stopped is recorded "sent" by its worker's retries (up to ~30 s).
        return all(answers(graph)[i] for i in ids) and not rows(
            postgres_server, "SELECT 1 FROM alfred_message WHERE (direction = 'in' AND status <> 'handled') "
                             "OR (direction = 'out' AND status <> 'sent')")  # fmt: skip

    all_settled = wait_until(settled, 60)
    time.sleep(3)  # a doubled reply would come now
    counted = answers(graph)
    inbound = dict(rows(postgres_server, "SELECT provider_message_id, status FROM alfred_message "
                                         "WHERE direction = 'in' AND provider_message_id LIKE %(ids)s"))  # fmt: skip
    replies = dict(rows(postgres_server, "SELECT i.provider_message_id, array_agg(o.status) FROM alfred_message o "
                                         "JOIN alfred_message i ON o.reply_to_id = i.id "
                                         "WHERE i.provider_message_id LIKE %(ids)s GROUP BY 1"))  # fmt: skip
    figures = {
        "sent": sent,
        "stored": len(inbound),
        "answered once": sum(1 for i in ids if counted[i] == 1),
        "doubled": sum(1 for i in ids if counted[i] > 1),
        "lost": sum(1 for i in ids if counted[i] == 0),
    }
    during = Counter(status[n] for n in range(BEFORE, BEFORE + DURING))
    print(f"\npostgres stopped ({STOP_MODE}) for {OUTAGE_SECONDS} s: "
          + ", ".join(f"{key} {value}" for key, value in figures.items())
          + f"; webhook while down {dict(during)}, re-delivered {dict(Counter(retried.values()))}")  # fmt: skip

    assert all_settled, unanswered()
    assert machine.process.poll() is None, machine.output()  # no process of the machine died
    # Before and after: 200. While down: 503, Meta's cue to retry (not a 500, not a dropped connection).
    assert {status[n] for n in status if not BEFORE <= n < BEFORE + DURING} == {200}
    assert during == {503: DURING}
    assert set(retried.values()) == {200}
    # Nothing half-written: one row per message, each handled, each with one reply row, sent.
    assert figures["stored"] == sent and set(inbound.values()) == {"handled"}
    assert {key: value for key, value in replies.items() if value != ["sent"]} == {} and len(replies) == sent
    assert (figures["doubled"], figures["lost"]) == (0, 0)
