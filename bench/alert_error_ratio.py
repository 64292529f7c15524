#!/usr/bin/env python
"""Load proof of the 1 % paging alert: drive a share of failing messages through a running Alfred-Home and
show the alert's expression crossing 1 %.

Starts the instance exactly as a Fly machine does (``fly/start.sh``: gunicorn + Celery worker with beat,
prometheus-client multiprocess mode) against a throwaway Postgres database and a Redis database of its own,
with a loopback Graph API stand-in as WhatsApp. Then two phases of signed WhatsApp deliveries ("ping", from
members, at ``--rate`` per second), sent by Locust (tests/load/locustfile.py, headless):

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
import http.client
import itertools
import json
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import (  # noqa: E402
    Instance,
    free_port,
    instance_env,
    migrate_and_seed,
    postgres_database,
    prepare_virtualenv,
    redis_server,
    scratch,
)
from tests.load.run import run_locust  # noqa: E402
from tests.standins.graph_api import GraphAPIStandIn, Reply, graph_error  # noqa: E402

TOKEN = "bench-metrics-token"
MEMBERS = 20
FINISHED = ("handled", "refused", "ignored", "sent", "failed")


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


def phase(port: int, count: int, rate: float) -> tuple[int, int]:
    """About ``count`` deliveries at ``rate`` per second from Locust (tests/load/locustfile.py, one user per
    delivery a second); the number answered 200 and otherwise."""
    figures = run_locust(
        "WhatsAppMember",
        f"http://127.0.0.1:{port}",
        users=max(round(rate), 1),
        seconds=max(round(count / rate), 1),
        env={"LOAD_WHATSAPP_SENDERS": str(MEMBERS)},
    )
    return figures["num_requests"] - figures["num_failures"], figures["num_failures"]


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
    args = parser.parse_args()
    if args.messages > 1000 or not 0 < args.fail_share < 1:
        raise SystemExit("refusing: at most 1,000 messages per phase, and a share between 0 and 1")
    prepare_virtualenv()

    with ExitStack() as services:
        tmp = services.enter_context(scratch())
        database_url = services.enter_context(postgres_database("alfred_bench_alert"))
        redis_url = services.enter_context(redis_server())
        standin = GraphAPIStandIn().start()
        services.callback(standin.stop)
        port = free_port()
        env = {**instance_env(database_url, redis_url, standin.url, port, tmp), "ALFRED_METRICS_TOKEN": TOKEN}
        migrate_and_seed(env, MEMBERS)
        machine = Instance(env, tmp / "instance.log").start()
        services.callback(machine.stop)
        measure(port, standin, machine, args)


def measure(port: int, standin: GraphAPIStandIn, machine: Instance, args: argparse.Namespace) -> None:
    """The two phases against the running instance, then promtool's verdict on the scraped counters."""
    assert machine.process is not None
    deadline = time.monotonic() + 90
    while True:
        try:
            start = scrape(port)
            break
        except (OSError, http.client.HTTPException, SystemExit):
            if machine.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the instance did not come up") from None
            time.sleep(0.5)

    print(f"Alfred-Home under fly/start.sh on 127.0.0.1:{port}; {args.messages} 'ping' deliveries per phase")
    print(f"at {args.rate:g}/s from {MEMBERS} members; replies to a loopback Graph API stand-in\n")
    print(f"{'phase':<10} {'webhook 200':>11} {'other':>6} {'finished':>9} {'failed':>7} {'error ratio':>12}  > 1 %?")
    ok, bad = phase(port, args.messages, args.rate)
    after_healthy = wait_for_finished(port, start, ok)
    failed, finished = ratio(start, after_healthy)
    print(f"{'healthy':<10} {ok:>11} {bad:>6} {finished:>9g} {failed:>7g} {failed / max(finished, 1):>12.2%}  "
          f"{'yes' if failed / max(finished, 1) > 0.01 else 'no'}")  # fmt: skip

    every = max(round(1 / args.fail_share), 1)
    standin.script_sends(*[graph_error(131026, "Message undeliverable") if i % every == 0 else Reply()
                           for i in range(args.messages)])  # fmt: skip
    ok, bad = phase(port, args.messages, args.rate)
    after_failing = wait_for_finished(port, after_healthy, ok)
    failed, finished = ratio(after_healthy, after_failing)
    print(f"{'failing':<10} {ok:>11} {bad:>6} {finished:>9g} {failed:>7g} {failed / max(finished, 1):>12.2%}  "
          f"{'yes' if failed / max(finished, 1) > 0.01 else 'no'}")  # fmt: skip
    print("\n(error ratio = alfred:message_error_ratio:rate5m's expression over the phase: failed / finished")
    print(" messages, both directions; every message finishes twice, handled inbound + sent or failed reply)")

    passed, output = promtool_verdict([start, after_healthy, after_failing])
    print("\npromtool test rules on ops/alerts.yml, the scraped counters replayed 10 minutes per phase:")
    print("  end of healthy phase: ratio > 0.01 false; end of failing phase: true, AlfredMessageErrorRatioHigh firing")
    print(f"  → {'PASSED' if passed else 'FAILED'}")
    if not passed:
        print(output)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
