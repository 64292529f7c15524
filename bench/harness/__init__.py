"""What the instance benchmarks (memory, e2e, cold start) share: throwaway services, the instance started exactly
as ``fly/start.sh home`` starts it, signed deliveries, a Graph API stand-in that timestamps replies, and the
process figures read from /proc.

Every run gets its own redis-server (a free port, no persistence) and its own Postgres database (created,
migrated, dropped), so a benchmark never touches a database anyone else is using. A package, not a module, so
``make bench`` (``bench/*.py``) does not run it as a benchmark.
"""

import hashlib
import hmac
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.standins.graph_api import GraphAPIStandIn, Recorded, Reply  # noqa: E402

APP_SECRET = "bench-app-secret"
PHONE_ID = "371846205519377"
WEBHOOK = "/webhooks/whatsapp/"
POSTGRES = os.environ.get("BENCH_POSTGRES", "postgres://alfred_app:alfred_app@127.0.0.1:5432")
PY = Path(sys.executable)
BIN = PY.parent
MIB = 1024 * 1024


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def machine() -> dict[str, object]:
    """What the figures were measured on: the machine is shared, so its load goes with every figure."""
    return {
        "cores": os.cpu_count(),
        "load_average_1_5_15": load_average(),
        "python": sys.version.split()[0],
        "at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


# The instance runs on the image's packages (requirements/home.txt), not on the development virtualenv's: test
# tools installed there (rich, pygments, requests) are imported by httpx and DRF when present, and were counted
# as Alfred's memory (~4 MiB in the worker alone). Built once, kept in sync with the pinned file.
IMAGE_VENV = ROOT / "var" / "bench" / "image-venv"
INSTANCE_PY = IMAGE_VENV / "bin" / "python"


def prepare_virtualenv() -> None:
    """Measure the code as the image runs it: its packages only (``INSTANCE_PY``), byte-compiled (uv does not
    compile; an uncompiled virtualenv measured ~60 MiB more PSS, shared/NOTES.md) and collected static files."""
    if not INSTANCE_PY.exists():
        subprocess.run([str(BIN / "uv"), "venv", "-q", "--python", str(PY), str(IMAGE_VENV)], check=True)
    requirements = str(ROOT / "requirements" / "home.txt")
    subprocess.run([str(BIN / "uv"), "pip", "sync", "-q", "--python", str(INSTANCE_PY), requirements], check=True)
    site = next((IMAGE_VENV / "lib").glob("python3*/site-packages"))
    subprocess.run([str(INSTANCE_PY), "-m", "compileall", "-q", "-j", "0", str(site), str(ROOT)], check=False,
                   stdout=subprocess.DEVNULL)  # fmt: skip


# --- throwaway services -----------------------------------------------------------------------------------


@contextmanager
def redis_server() -> Iterator[str]:
    """A redis-server of our own on a free port, no persistence; its URL (db 0)."""
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise SystemExit("redis-server did not start") from None
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def postgres_database(prefix: str) -> Iterator[str]:
    """A database of our own (dropped afterwards); its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = f"{POSTGRES}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{POSTGRES}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def home_in_this_process(prefix: str) -> Iterator[None]:
    """This process configured as Alfred-Home on a throwaway database (inline tasks, no Redis), for benches
    that call the code directly; its connections are closed before the database is dropped."""
    with postgres_database(prefix) as database_url:
        os.environ.update(
            DJANGO_SETTINGS_MODULE="settings.home",
            DATABASE_URL=database_url,
            SECRET_KEY="bench-only-secret-key",
            DEBUG="0",
            TASKS_INLINE="1",
            LOG_LEVEL="WARNING",
        )
        os.environ.pop("REDIS_URL", None)
        try:
            yield
        finally:
            from django.db import connections

            connections.close_all()


# --- the Graph API stand-in, timestamping replies ----------------------------------------------------------


class TimedGraph(GraphAPIStandIn):
    """The stand-in, noting when the reply quoting each inbound message id arrived (``context.message_id``)."""

    def __init__(self) -> None:
        super().__init__()
        self.replied_at: dict[str, float] = {}
        self.replies = 0

    def _next_reply(self, recorded: Recorded) -> Reply:
        arrived = time.perf_counter()
        if recorded.is_send:
            quoted = (recorded.json.get("context") or {}).get("message_id")
            with self._lock:
                self.replies += 1
                if quoted:
                    self.replied_at.setdefault(quoted, arrived)
        # Thousands of recorded requests would grow the bench process, not the instance; keep none.
        reply = super()._next_reply(recorded)
        with self._lock:
            self.requests.clear()
        return reply


# --- deliveries ---------------------------------------------------------------------------------------------


def sender(index: int) -> str:
    return f"3460{index:07d}"


def delivery(wamid: str, from_: str, text: str = "ping") -> bytes:
    """One webhook body shaped like Meta's (the "text" case of tests/fixtures/whatsapp/message.json)."""
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "447700900001", "phone_number_id": PHONE_ID},
        "contacts": [{"profile": {"name": "Bench"}, "wa_id": from_}],
        "messages": [
            {"from": from_, "id": wamid, "timestamp": str(int(time.time())), "text": {"body": text}, "type": "text"}
        ],
    }
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "284710395566120", "changes": [{"field": "messages", "value": value}]}],
    }
    return json.dumps(body).encode()


def signed(body: bytes) -> dict[str, str]:
    signature = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Hub-Signature-256": signature}


class Poster:
    """A keep-alive connection to the webhook, reconnecting when gunicorn has closed it."""

    def __init__(self, port: int, timeout: float = 30) -> None:
        self.port, self.timeout = port, timeout
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> int:
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                response = self.conn.getresponse()
                response.read()
                return response.status
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


@dataclass
class Sent:
    """Deliveries posted by an open-loop run: when each was due, its status."""

    due: dict[str, float] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0


def open_loop(port: int, wamids: list[str], senders: int, rate: float, path: str = WEBHOOK, text: str = "ping") -> Sent:
    """Post one signed delivery per wamid, due at t0 + i/rate (latency counts from the due time, so a server
    that falls behind pays for it), from a pool of keep-alive connections."""
    import queue

    sent = Sent()
    lock = threading.Lock()
    due: queue.Queue[tuple[float, str, bytes] | None] = queue.Queue()

    def work() -> None:
        poster = Poster(port)
        while (item := due.get()) is not None:
            scheduled, _wamid, body = item
            delay = scheduled - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            try:
                status = poster.request("POST", path, body, signed(body))
            except Exception:
                with lock:
                    sent.errors += 1
                continue
            with lock:
                sent.statuses[status] = sent.statuses.get(status, 0) + 1

    threads = [threading.Thread(target=work, daemon=True) for _ in range(16)]
    for thread in threads:
        thread.start()
    start = time.perf_counter() + 0.1
    for index, wamid in enumerate(wamids):
        at = start + index / rate
        sent.due[wamid] = at
        due.put((at, wamid, delivery(wamid, sender(index % senders), text)))
    for _ in threads:
        due.put(None)
    for thread in threads:
        thread.join()
    return sent


def wait_for_replies(graph: TimedGraph, wamids: list[str], timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        missing = sum(1 for wamid in wamids if wamid not in graph.replied_at)
        if not missing:
            return 0
        time.sleep(0.2)
    return sum(1 for wamid in wamids if wamid not in graph.replied_at)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


# --- processes ----------------------------------------------------------------------------------------------


def children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def descendants(pid: int) -> list[int]:
    found: list[int] = []
    for child in children(pid):
        found += [child, *descendants(child)]
    return found


def cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text().split("\0")
    except OSError:
        return []


def pss_mib(pid: int) -> float:
    """Proportional set size: shared pages divided among the processes sharing them, so the sum over
    processes is what the machine really holds."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def roles(root: int) -> dict[str, int]:
    """The instance's processes by role: gunicorn master/worker, Celery worker, beat (forked from the worker
    with -B, or a process of its own)."""
    found: dict[str, int] = {}
    for pid in [root, *descendants(root)]:
        argv = cmdline(pid)
        joined = " ".join(argv)
        parent_argv = " ".join(cmdline(parent_pid(pid)))
        if "gunicorn" in joined:
            found["gunicorn worker" if "gunicorn" in parent_argv else "gunicorn master"] = pid
        elif "celery" in joined and " beat" in joined:
            found["beat"] = pid
        elif "celery" in joined and " worker" in joined:
            if "celery" in parent_argv and " worker" in parent_argv:
                found["beat (-B child)"] = pid
            elif "celery worker" not in found:
                found["celery worker"] = pid
    return found


def parent_pid(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except OSError:
        return 0


# --- the instance -------------------------------------------------------------------------------------------


def instance_env(database_url: str, redis_url: str, graph_url: str, port: int, tmp: Path) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPENAI_", "META_", "ALFRED_"))},
        "DJANGO_SETTINGS_MODULE": "settings.home",
        "INSTANCE": "home",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "bench-only-secret-key",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "TASKS_INLINE": "0",
        "META_TOKEN": "bench-token",
        "META_APP_SECRET": APP_SECRET,
        "META_VERIFY_TOKEN": "bench",
        "PHONE_ID": PHONE_ID,
        "WHATSAPP_API_BASE": graph_url,
        "WHATSAPP_MARK_AS_READ": "0",
        "PORT": str(port),
        "PY": str(INSTANCE_PY),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp / "metrics"),
        # The load comes from a few dozen members at rates no person types (40/s over 50 members is 48 a minute
        # each): a limit they never reach keeps the per-message count (its Redis round trip) in the figures
        # without throttling the replies being timed.
        "ALFRED_MEMBER_MESSAGES_PER_MINUTE": "1000000",
    }


def migrate_and_seed(env: dict[str, str], members: int) -> None:
    """Schema (Fly's release_command does this once per deploy, not start.sh) and ``members`` members, one
    WhatsApp address each, the senders of the deliveries."""
    subprocess.run([str(PY), "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    seed = (
        "from alfred.models import Member, MemberAddress\n"
        f"for i in range({members}):\n"
        "    m = Member.objects.create(name=f'Bench {i}', language='en')\n"
        "    MemberAddress.objects.create(member=m, channel='whatsapp', address=f'+3460{i:07d}')\n"
    )
    subprocess.run([str(PY), "manage.py", "shell", "-c", seed], cwd=ROOT, env=env, check=True)


class Instance:
    """``bash fly/start.sh home`` with its output in a log file."""

    def __init__(self, env: dict[str, str], log: Path, argv: list[str] | None = None) -> None:
        self.env, self.log, self.port = env, log, int(env["PORT"])
        self.argv = argv or ["bash", "fly/start.sh", "home"]
        self.started = 0.0
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> "Instance":
        with self.log.open("ab") as output:
            self.started = time.perf_counter()
            self.process = subprocess.Popen(
                self.argv, cwd=ROOT, env=self.env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
            )
        return self

    def healthy(self) -> bool:
        try:
            return Poster(self.port).request("GET", "/healthz/") == 200
        except OSError:
            return False

    def wait_healthy(self, timeout: float = 120) -> float:
        """Seconds from start to the first ``/healthz/`` 200 (every check, the Celery ping included)."""
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the instance exited with {self.process.returncode}:\n{self.tail()}")
            if self.healthy():
                return time.perf_counter() - self.started
            time.sleep(0.05)
        raise SystemExit("the instance did not answer /healthz/ 200 in time:\n" + self.tail())

    def tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])

    def roles(self) -> dict[str, int]:
        assert self.process is not None
        return roles(self.process.pid)

    def stop(self) -> None:
        if self.process is None:
            return
        tree = descendants(self.process.pid)
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        for pid in tree:  # a child that outlived the script (a -B beat whose worker was killed)
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


@contextmanager
def scratch() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="alfred-bench-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def write_json(name: str, data: object) -> Path:
    out = ROOT / "var" / "bench" / name
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=2, default=str) + "\n")
    return out
