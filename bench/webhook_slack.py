#!/usr/bin/env python
"""Benchmark: Slack's acknowledgements at /slack/events/ against a bare Django view, under the gunicorn we deploy.

Starts gunicorn exactly as fly/start.sh does (gthread, 1 worker, 4 threads, access log on) under settings.biz
against a throwaway Postgres database (created, migrated, dropped) and a redis-server of its own (bench/harness),
then fires requests signed with Slack's v0 scheme from a Python load generator on loopback, of two kinds:

- command: ``/alfred ping``, a form, answered ``pong`` in the acknowledgement (nothing is recorded);
- event: an ``event_callback`` with an ``app_mention`` "ping", JSON, from the bench member and from a
  stranger in turn, each with its own ``event_id`` and ``ts`` so each is recorded once.

1. open loop at ``--rate`` requests/s for ``--duration`` seconds per kind: achieved acknowledgements/s, p50
   and p99 (measured from each request's scheduled start, so a server that falls behind pays for it);
2. closed loop with ``--clients`` connections, ``--rounds`` times ``--saturate`` seconds per target, bare view
   and Slack in turn: the most acknowledgements/s each takes (the round with the median ratio is reported).

Each kind side by side with a bare Django view (same server, middleware and body) and their ratio. No
Celery worker runs (the queue only fills) and SLACK_API_BASE points at a closed loopback port: the web
process never calls Slack.

    .venv/bin/python bench/webhook_slack.py [--rate 100] [--duration 8]

Loopback only; bounded: ≤ 10,000 open-loop requests and ≤ 60 s of load in all (the defaults: 3,200 and 56 s).
The generic machinery (result, connections, open loop, CPU accounting) is bench/webhook_whatsapp.py's,
imported, so both benches measure the same way.
"""

import argparse
import hashlib
import hmac
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlencode

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import postgres_database, redis_server  # noqa: E402
from bench.webhook_whatsapp import (  # noqa: E402 (needs ROOT on sys.path when run as a script)
    Result,
    closed_loop,
    free_port,
    gunicorn_worker,
    machine_busy,
    measured,
    open_loop,
    wait_until_up,
)

SIGNING_SECRET = "bench-slack-signing-secret"
BOT_TOKEN = "xoxb-bench-token"
TEAM_ID = "T0BENCH01"
BOT_USER = "U0BENCHBOT"
MEMBER = "U0BENCHOWN"
STRANGER = "U0STRANGER"
CHANNEL = "C0BENCH001"
SLACK = "/slack/events/"
BARE = "/bench/bare/"
# Open-loop requests over all four open-loop phases (bare and Slack, for each kind).
MAX_REQUESTS = 10_000
# Seconds of load in all (open and closed loop, every target; warm-up and set-up come on top).
MAX_SECONDS = 60

Prepared = list[tuple[bytes, dict[str, str]]]
Make = Callable[[int], tuple[bytes, dict[str, str]]]


def signed(body: bytes, content_type: str) -> dict[str, str]:
    """Slack's v0 signature: HMAC-SHA256 of ``v0:{timestamp}:{body}``, keyed with the signing secret."""
    timestamp = str(int(time.time()))
    digest = hmac.new(SIGNING_SECRET.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256)
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": "v0=" + digest.hexdigest(),
    }


def command(trigger: str) -> tuple[bytes, dict[str, str]]:
    """``/alfred ping`` as Slack posts it (the shape of tests/fixtures/slack/commands.json)."""
    body = urlencode(
        {
            "token": "verification-token-unused",
            "team_id": TEAM_ID,
            "team_domain": "alfred-bench",
            "channel_id": CHANNEL,
            "channel_name": "bench",
            "user_id": MEMBER,
            "user_name": "bench",
            "command": "/alfred",
            "text": "ping",
            "api_app_id": "A0ALFREDBN",
            "is_enterprise_install": "false",
            "response_url": f"https://hooks.slack.com/commands/{TEAM_ID}/1111111111/bench",
            "trigger_id": trigger,
        }
    ).encode()
    return body, signed(body, "application/x-www-form-urlencoded")


def mention(event_id: str, ts: str, user: str) -> tuple[bytes, dict[str, str]]:
    """An ``app_mention`` "ping" callback (the shape of tests/fixtures/slack/events.json)."""
    body = {
        "token": "verification-token-unused",
        "team_id": TEAM_ID,
        "api_app_id": "A0ALFREDBN",
        "event": {
            "type": "app_mention",
            "user": user,
            "text": f"<@{BOT_USER}> ping",
            "ts": ts,
            "channel": CHANNEL,
            "event_ts": ts,
        },
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(float(ts)),
        "authorizations": [{"enterprise_id": None, "team_id": TEAM_ID, "user_id": BOT_USER, "is_bot": True}],
        "is_ext_shared_channel": False,
    }
    raw = json.dumps(body).encode()
    return raw, signed(raw, "application/json")


class Requests:
    """Unique requests of each kind: the inbox dedupes on ``team:channel:ts``, so every event gets a ts of its
    own (phase number in the seconds, index in the microseconds) and every command a trigger id of its own."""

    def __init__(self) -> None:
        self.start = int(time.time()) - 3600  # in the past: received_at is min(ts, now)
        self.phases = 0
        self.lock = threading.Lock()

    def maker(self, kind: str) -> Make:
        with self.lock:
            self.phases += 1
            phase = self.phases
        run = os.getpid()

        def make(i: int) -> tuple[bytes, dict[str, str]]:
            if i >= 1_000_000:
                raise SystemExit("more than a million requests in one phase: the ts scheme would repeat")
            if kind == "command":
                return command(f"{run}.{phase}.{i}")
            user = MEMBER if i % 2 == 0 else STRANGER
            return mention(f"Ev{run}P{phase}N{i}", f"{self.start + phase}.{i:06d}", user)

        return make

    def prepared(self, kind: str, count: int) -> Prepared:
        make = self.maker(kind)
        return [make(i) for i in range(count)]


def answer(port: int, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    """One request, its status and body: the measured phases count statuses only, so the bench checks here
    once that the acknowledgement is the real one (``pong`` for the command)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", SLACK, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=100.0, help="requests per second (open loop)")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds of open-loop load per target")
    parser.add_argument(
        "--saturate", type=float, default=2.0, help="seconds of closed-loop load per target and round (0 = skip)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="closed-loop rounds, bare and Slack in turn")
    parser.add_argument("--clients", type=int, default=8, help="connections in the closed loop")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads (fly/start.sh: 4)")
    args = parser.parse_args()
    # Four open-loop phases (bare and Slack for each kind), and four closed-loop targets a round.
    load_seconds = 4 * args.duration + 4 * args.rounds * args.saturate
    if 4 * args.rate * args.duration > MAX_REQUESTS or load_seconds > MAX_SECONDS:
        raise SystemExit(
            f"refusing: keep the bench bounded (≤ {MAX_REQUESTS:,} open-loop requests and ≤ {MAX_SECONDS} s of "
            f"load in all; asked for {4 * args.rate * args.duration:,.0f} and {load_seconds:.0f} s)"
        )

    python = Path(sys.executable)
    bin_dir = python.parent
    # Private services (bench/harness): a database created and dropped, a redis-server on a free port.
    services = ExitStack()
    database_url = services.enter_context(postgres_database("alfred_bench_slack"))
    redis_url = services.enter_context(redis_server())
    process: subprocess.Popen | None = None
    try:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("META_", "WHATSAPP_", "OPENAI_"))},
            "DJANGO_SETTINGS_MODULE": "settings.biz",
            "INSTANCE": "biz",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "SECRET_KEY": "bench-only-secret-key",
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "TASKS_INLINE": "0",
            "LOG_LEVEL": "WARNING",
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_TEAM_ID": TEAM_ID,
            # A loopback port nothing listens on: were anything to call Slack, it would fail fast, not leave.
            "SLACK_API_BASE": f"http://127.0.0.1:{free_port()}/api/",
        }
        subprocess.run([str(python), "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        subprocess.run(
            [str(python), "manage.py", "check", "--fail-level", "ERROR"],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        # The member whose mentions are answered (the other half of the events come from a stranger).
        seed = (
            "from alfred.models import Member, MemberAddress\n"
            "from channels_slack.channel import SLACK\n"
            "member = Member.objects.create(name='Bench owner', language='en', is_admin=True)\n"
            "MemberAddress.objects.create(\n"
            f"    member=member, channel=SLACK.name, address=SLACK.normalise_address({MEMBER!r})\n"
            ")\n"
        )
        # stdout quiet: Django 5.2's shell announces its automatic imports.
        subprocess.run(
            [str(python), "manage.py", "shell", "-c", seed], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
        )
        port = free_port()
        # fly/start.sh's gunicorn line, with the bench's WSGI module (the same app plus a bare view).
        gunicorn = [
            str(bin_dir / "gunicorn"), "bench.bare_app.wsgi:application", "--bind", f"127.0.0.1:{port}",
            "--worker-class", "gthread", "--workers", "1", "--threads", str(args.threads), "--access-logfile", "-",
            "--timeout", "30",
        ]  # fmt: skip
        process = subprocess.Popen(gunicorn, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # The bare view answers any method; /slack/events/ is POST only and would need a signature.
        wait_until_up(port, process, probe=BARE)
        # Other work on the machine skews every figure; say how busy it was before the load started.
        before = machine_busy()
        time.sleep(2)
        after = machine_busy()
        args.busy_before = (after[0] - before[0]) / max(after[1] - before[1], 1)

        requests = Requests()
        # The first Slack request imports slack_bolt and builds the App; time it, then check both answers.
        started = time.perf_counter()
        status, body = answer(port, *requests.maker("command")(0))
        args.first_ms = (time.perf_counter() - started) * 1000
        if (status, body) != (200, b"pong"):
            raise SystemExit(f"/alfred ping was answered {status} {body[:200]!r}, not 200 'pong'")
        status, body = answer(port, *requests.maker("event")(0))
        if status != 200:
            raise SystemExit(f"an app_mention was answered {status} {body[:200]!r}")
        warm_events = 1
        # Warm up every path (connections, imports, query plans, the member cache) before measuring.
        for kind in ("command", "event"):
            open_loop(port, BARE, requests.prepared(kind, 100), rate=100)
            warm = open_loop(port, SLACK, requests.prepared(kind, 100), rate=100)
            if kind == "event":
                warm_events += warm.statuses.get(200, 0)

        count = int(args.rate * args.duration)
        worker_pid = gunicorn_worker(process.pid)
        results: dict[str, dict[str, Result]] = {}
        rounds: dict[str, list[tuple[Result, Result]]] = {}
        for kind in ("command", "event"):
            bare_requests, slack_requests = requests.prepared(kind, count), requests.prepared(kind, count)
            results[kind] = {
                "bare": measured(worker_pid, lambda r=bare_requests: open_loop(port, BARE, r, rate=args.rate)),
                "slack": measured(worker_pid, lambda r=slack_requests: open_loop(port, SLACK, r, rate=args.rate)),
            }
            rounds[kind] = []

        def saturate(path: str, kind: str) -> Result:
            return closed_loop(port, path, requests.maker(kind), args.clients, args.saturate)

        if args.saturate:
            # Bare and Slack take turns, so a spell of noise from other tenants of the machine hits both; the
            # round with the median ratio is reported, and every round's ratio is printed.
            for _ in range(args.rounds):
                for kind in ("command", "event"):
                    bare_round = measured(worker_pid, lambda k=kind: saturate(BARE, k))
                    slack_round = measured(worker_pid, lambda k=kind: saturate(SLACK, k))
                    rounds[kind].append((bare_round, slack_round))
            for kind, pairs in rounds.items():
                ordered = sorted(pairs, key=lambda pair: pair[1].rate() / max(pair[0].rate(), 1e-9))
                results[kind]["bare max"], results[kind]["slack max"] = ordered[len(ordered) // 2]

        # As the app connects (row-level security shows a connection without alfred.instance no rows).
        with psycopg.connect(database_url, options="-c alfred.instance=biz") as conn:
            stored = conn.execute("SELECT count(*) FROM alfred_message WHERE direction = 'in'").fetchone()[0]
            # Half the mentions come from the member and half from a stranger: check both were recorded.
            by_sender = dict(
                conn.execute(
                    "SELECT sender_id IS NOT NULL, count(*) FROM alfred_message WHERE direction = 'in' GROUP BY 1"
                ).fetchall()
            )
        answered_events = warm_events + sum(
            r.statuses.get(200, 0) for r in [results["event"]["slack"], *(hook for _, hook in rounds["event"])]
        )
        report(args, results, rounds, stored, by_sender, answered_events)
    finally:
        if process is not None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        services.close()


def report(
    args: argparse.Namespace,
    results: dict[str, dict[str, Result]],
    rounds: dict[str, list[tuple[Result, Result]]],
    stored: int,
    by_sender: dict[bool, int],
    answered_events: int,
) -> None:
    cores = os.cpu_count()
    print(
        f"Slack acknowledgements (/slack/events/) vs bare Django view — gunicorn gthread 1×{args.threads}, "
        f"settings.biz, Postgres + Redis on loopback, {cores} cores, no Celery worker"
    )
    print(f"machine already {args.busy_before:.0%} busy before the load (other processes)")
    print(
        f"first Slack request (imports slack_bolt, builds the App): {args.first_ms:.0f} ms; warmed up before measuring"
    )
    print(f"open loop: {args.rate:.0f} requests/s offered for {args.duration:.0f} s; latency from scheduled start")
    header = f"{'':26}{'bare view':>12}{'slack':>12}{'ratio':>8}"
    verdicts = []
    for kind, title in (("command", "/alfred ping (form) → pong"), ("event", "app_mention event (JSON)")):
        print(f"\n{title}")
        print(header)
        bare, slack = results[kind]["bare"], results[kind]["slack"]
        rows = [
            ("acks/s", bare.rate(), slack.rate(), slack.rate() / max(bare.rate(), 1e-9)),
            ("p50 ms", bare.pct(50), slack.pct(50), None),
            ("p99 ms", bare.pct(99), slack.pct(99), None),
            ("max ms", bare.pct(100), slack.pct(100), None),
        ]
        if "slack max" in results[kind]:
            bmax, smax = results[kind]["bare max"], results[kind]["slack max"]
            rows += [
                (f"max acks/s ({args.clients} conn)*", bmax.rate(), smax.rate(), smax.rate() / max(bmax.rate(), 1e-9)),
                ("  p50 ms at max", bmax.pct(50), smax.pct(50), None),
                ("  p99 ms at max", bmax.pct(99), smax.pct(99), None),
            ]
        for name, left, right, ratio in rows:
            print(f"{name:26}{left:>12.1f}{right:>12.1f}{'' if ratio is None else f'{ratio:>8.2f}'}")
        if rounds[kind]:
            ratios = ", ".join(f"{s.rate() / max(b.rate(), 1e-9):.2f}" for b, s in rounds[kind])
            print(f"* the median of {args.rounds} rounds of {args.saturate:.0f} s each; ratio per round: {ratios}")
        for name, result in results[kind].items():
            print(
                f"  {name}: {result.done} answered {dict(sorted(result.statuses.items()))}, {result.errors} errors; "
                f"gunicorn CPU {result.server_cpu / max(result.done, 1) * 1000:.2f} ms/request; "
                f"machine {result.machine_busy:.0%} busy"
            )
        # Missing answers count against the target: a p99 over only the requests that came back would flatter.
        complete = slack.statuses.get(200, 0) == int(args.rate * args.duration) and not slack.errors
        verdicts.append((kind, slack.pct(99) <= 50 and complete, slack.pct(99)))
    print(
        f"\ninbound rows stored: {stored} of {answered_events} events answered 200 ({by_sender.get(True, 0)} from "
        f"the member, {by_sender.get(False, 0)} from the stranger); pings store none"
    )
    for kind, met, p99 in verdicts:
        print(f"target: {kind} p99 ≤ 50 ms at {args.rate:.0f}/s, every request answered 200: "
              f"{'met' if met else 'MISSED'} (p99 {p99:.1f} ms)")  # fmt: skip


if __name__ == "__main__":
    main()
