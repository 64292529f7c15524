#!/usr/bin/env python
"""Load proof of the 1 % paging alert: drive a share of failing messages through a running Alfred-Home and
show the alert's expression crossing 1 %.

Starts the instance exactly as a Fly machine does (``fly/start.sh``: gunicorn + Celery worker with beat,
prometheus-client multiprocess mode) against a throwaway Postgres database and a Redis database of its own,
with a loopback Graph API stand-in as WhatsApp. Then two phases of signed WhatsApp deliveries ("ping", from
members, at ``--rate`` per second):

1. healthy: every reply is accepted by the stand-in;
2. failing: a share (``--fail-share``, default 3 %) of the replies is refused by the stand-in with Meta's
   131026 (undeliverable, permanent), so those messages end ``failed``.

After each phase it scrapes ``/metrics`` (bearer token) and prints the figures of the paging rule's
expression, ``alfred:message_error_ratio:rate5m`` (failed / finished messages, ops/alerts.yml), over that
phase. Then it replays the scraped counters as a Prometheus time series (each phase stretched over 10
minutes) and lets ``promtool test rules`` evaluate the real rule file: below 1 % at the end of phase 1,
above at the end of phase 2, and AlfredMessageErrorRatioHigh firing.

    .venv/bin/python bench/alert_error_ratio.py [--rate 20] [--messages 200] [--fail-share 0.03]

Loopback only; bounded: at most 1,000 messages per phase.
"""

import argparse
import hashlib
import hmac
import http.client
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.webhook_whatsapp import APP_SECRET, PHONE_ID, WEBHOOK, delivery, free_port  # noqa: E402
from tests.standins.graph_api import GraphAPIStandIn, Reply, graph_error  # noqa: E402

TOKEN = "bench-metrics-token"
MEMBERS = 20
FINISHED = ("handled", "refused", "ignored", "sent", "failed")
SEED = """
from alfred.models import Member, MemberAddress
for i in range({members}):
    member = Member.objects.create(name=f"Bench {{i}}")
    MemberAddress.objects.create(member=member, channel="whatsapp", address=f"3460{{i:07d}}")
"""


def signed_ping(wamid: str, sender: str) -> tuple[bytes, dict[str, str]]:
    body = json.loads(delivery(wamid, sender))
    body["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"] = "ping"
    raw = json.dumps(body).encode()
    signature = "sha256=" + hmac.new(APP_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    return raw, {"Content-Type": "application/json", "X-Hub-Signature-256": signature}


def scrape(port: int) -> dict[tuple[str, str, str], float]:
    """alfred_messages_total by (channel, direction, status)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    response = conn.getresponse()
    if response.status != 200:
        raise SystemExit(f"/metrics answered {response.status}")
    from prometheus_client.parser import text_string_to_metric_families

    counts: dict[tuple[str, str, str], float] = {}
    for family in text_string_to_metric_families(response.read().decode()):
        for sample in family.samples:
            if sample.name == "alfred_messages_total":
                labels = sample.labels
                counts[(labels["channel"], labels["direction"], labels["status"])] = sample.value
    return counts


def ratio(before: dict[tuple[str, str, str], float], after: dict[tuple[str, str, str], float]) -> tuple[float, float]:
    def grew(status: str) -> float:
        return sum(after.get(k, 0) - before.get(k, 0) for k in after if k[2] == status)

    failed = grew("failed")
    finished = sum(grew(status) for status in FINISHED)
    return failed, finished


def phase(port: int, prefix: str, count: int, rate: float) -> tuple[int, int]:
    """Send ``count`` deliveries at ``rate`` per second; the number answered 200 and otherwise."""
    ok = bad = 0
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    started = time.monotonic()
    for i in range(count):
        delay = started + i / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        body, headers = signed_ping(f"wamid.alert.{os.getpid()}.{prefix}.{i}", f"3460{i % MEMBERS:07d}")
        conn.request("POST", WEBHOOK, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        ok, bad = (ok + 1, bad) if response.status == 200 else (ok, bad + 1)
    return ok, bad


def wait_for_finished(port: int, before: dict, expected: int, timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        now = scrape(port)
        _, finished = ratio(before, now)
        # Each message finishes twice: its inbound row (handled) and its reply (sent or failed).
        if finished >= 2 * expected or time.monotonic() > deadline:
            return now
        time.sleep(1)


def promtool_verdict(counters: list[dict[tuple[str, str, str], float]]) -> tuple[bool, str]:
    """Replay [start, after phase 1, after phase 2] as series (10 one-minute samples per phase) and evaluate
    ops/alerts.yml's expression with promtool at the end of each phase."""
    keys = sorted({k for c in counters for k in c})
    series = []
    for channel, direction, status in keys:
        points: list[float] = []
        for start, end in itertools.pairwise(counters):
            a, b = start.get((channel, direction, status), 0.0), end.get((channel, direction, status), 0.0)
            points += [a + (b - a) * step / 10 for step in range(10)]
        points.append(counters[-1].get((channel, direction, status), 0.0))
        labels = f'instance="home",channel="{channel}",direction="{direction}",status="{status}"'
        series.append({"series": f"alfred_messages_total{{{labels}}}", "values": " ".join(f"{p:g}" for p in points)})
    test = {
        "rule_files": [str(ROOT / "ops" / "alerts.yml")],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": series,
                "promql_expr_test": [
                    {"expr": "alfred:message_error_ratio:rate5m > bool 0.01", "eval_time": "10m",
                     "exp_samples": [{"labels": '{instance="home"}', "value": 0}]},
                    {"expr": "alfred:message_error_ratio:rate5m > bool 0.01", "eval_time": "20m",
                     "exp_samples": [{"labels": '{instance="home"}', "value": 1}]},
                    {"expr": 'count(ALERTS{alertname="AlfredMessageErrorRatioHigh",alertstate="firing"})',
                     "eval_time": "20m", "exp_samples": [{"labels": "{}", "value": 1}]},
                ],
            }
        ],
    }  # fmt: skip
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "replay.test.yml"
        path.write_text(json.dumps(test))
        promtool = shutil.which("promtool") or "/usr/bin/promtool"
        completed = subprocess.run([promtool, "test", "rules", str(path)], capture_output=True, text=True, timeout=60)
    return completed.returncode == 0, (completed.stdout + completed.stderr).strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=20.0, help="deliveries per second")
    parser.add_argument("--messages", type=int, default=200, help="deliveries per phase")
    parser.add_argument("--fail-share", type=float, default=0.03, help="share of replies refused in phase 2")
    parser.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/14"))
    args = parser.parse_args()
    if args.messages > 1000 or not 0 < args.fail_share < 1:
        raise SystemExit("refusing: at most 1,000 messages per phase, and a share between 0 and 1")

    database = f"alfred_bench_alert_{os.getpid()}"
    admin_url = f"{args.postgres}/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    import redis

    redis_client = redis.Redis.from_url(args.redis)
    redis_client.flushdb()
    standin = GraphAPIStandIn().start()
    machine: subprocess.Popen[bytes] | None = None
    metrics_dir = tempfile.mkdtemp(prefix="alfred-bench-metrics-")
    try:
        port = free_port()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPENAI_", "IMAP_"))},
            "DJANGO_SETTINGS_MODULE": "settings.home",
            "INSTANCE": "home",
            "DATABASE_URL": f"{args.postgres}/{database}",
            "REDIS_URL": args.redis,
            "SECRET_KEY": "bench-only-secret-key",
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "TASKS_INLINE": "0",
            "LOG_LEVEL": "WARNING",
            "META_TOKEN": "bench-token",
            "META_APP_SECRET": APP_SECRET,
            "META_VERIFY_TOKEN": "bench",
            "PHONE_ID": PHONE_ID,
            "WHATSAPP_API_BASE": standin.url,
            "WHATSAPP_MARK_AS_READ": "0",
            "PORT": str(port),
            "PY": sys.executable,
            "ALFRED_METRICS_TOKEN": TOKEN,
            "PROMETHEUS_MULTIPROC_DIR": metrics_dir,
        }
        python = sys.executable
        subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        seed = SEED.format(members=MEMBERS)
        subprocess.run([python, "manage.py", "shell", "-c", seed], cwd=ROOT, env=env, check=True)
        machine = subprocess.Popen(
            ["bash", "fly/start.sh", "home"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 90
        while True:
            try:
                start = scrape(port)
                break
            except (OSError, http.client.HTTPException, SystemExit):
                if machine.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the instance did not come up") from None
                time.sleep(0.5)

        print(f"Alfred-Home under fly/start.sh on 127.0.0.1:{port}; {args.messages} 'ping' deliveries per phase")
        print(f"at {args.rate:g}/s from {MEMBERS} members; replies to a loopback Graph API stand-in\n")
        print(
            f"{'phase':<10} {'webhook 200':>11} {'other':>6} {'finished':>9} {'failed':>7} {'error ratio':>12}  > 1 %?"
        )
        ok, bad = phase(port, "healthy", args.messages, args.rate)
        after_healthy = wait_for_finished(port, start, args.messages)
        failed, finished = ratio(start, after_healthy)
        print(f"{'healthy':<10} {ok:>11} {bad:>6} {finished:>9g} {failed:>7g} {failed / max(finished, 1):>12.2%}  "
              f"{'yes' if failed / max(finished, 1) > 0.01 else 'no'}")  # fmt: skip

        every = max(round(1 / args.fail_share), 1)
        standin.script_sends(*[graph_error(131026, "Message undeliverable") if (i + 1) % every == 0 else Reply()
                               for i in range(args.messages)])  # fmt: skip
        ok, bad = phase(port, "failing", args.messages, args.rate)
        after_failing = wait_for_finished(port, after_healthy, args.messages)
        failed, finished = ratio(after_healthy, after_failing)
        print(f"{'failing':<10} {ok:>11} {bad:>6} {finished:>9g} {failed:>7g} {failed / max(finished, 1):>12.2%}  "
              f"{'yes' if failed / max(finished, 1) > 0.01 else 'no'}")  # fmt: skip
        print("\n(error ratio = alfred:message_error_ratio:rate5m's expression over the phase: failed / finished")
        print(" messages, both directions; every message finishes twice, handled inbound + sent or failed reply)")

        passed, output = promtool_verdict([start, after_healthy, after_failing])
        print("\npromtool test rules on ops/alerts.yml, the scraped counters replayed 10 minutes per phase:")
        print(
            "  end of healthy phase: ratio > 0.01 false; end of failing phase: true, AlfredMessageErrorRatioHigh firing"
        )
        print(f"  → {'PASSED' if passed else 'FAILED'}")
        if not passed:
            print(output)
            raise SystemExit(1)
    finally:
        if machine is not None and machine.poll() is None:
            machine.send_signal(signal.SIGTERM)
            try:
                machine.wait(timeout=30)
            except subprocess.TimeoutExpired:
                machine.kill()
        standin.stop()
        shutil.rmtree(metrics_dir, ignore_errors=True)
        redis_client.flushdb()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


if __name__ == "__main__":
    main()
