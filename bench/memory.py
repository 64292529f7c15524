#!/usr/bin/env python
"""Benchmark: the memory of one instance as ``fly/start.sh home`` runs it, against a bare Django + Celery project
in the same layout, in the same run.

Each runs on its own throwaway redis-server and Postgres database with the Graph API stand-in as WhatsApp:
Alfred is ``bash fly/start.sh home`` (gunicorn gthread 1×4, ``celery worker -B --pool=threads``); the bare
project (``bench/bare_project``) is the same two commands over one model, a webhook that stores and queues, a
task that posts the reply, and beat with two periodic tasks. Both are driven with signed "ping" deliveries
through the webhook, open loop at ``--rate``, from ``--senders`` members. Total PSS (``/proc/PID/smaps_rollup``:
shared pages divided among the processes sharing them, so the sum is what the machine holds) of every process
of each: at idle, after the first request (answered), every 500 messages, and after the last reply (plus
``--settle`` seconds).

    .venv/bin/python bench/memory.py [--messages 5000] [--rate 20] [--only alfred|bare] [--start SCRIPT]

``--start`` runs another start script in fly/start.sh's place, to compare layouts (e.g. beat in a process of
its own: the roles are found by command line).

Writes var/bench/memory.json. The machine is shared: the load average is printed with the figures, and the
ratio (measured in the same run) is the figure to compare across runs.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import (
    PY,
    ROOT,
    Instance,
    TimedGraph,
    free_port,
    instance_env,
    load_average,
    machine,
    migrate_and_seed,
    open_loop,
    postgres_database,
    prepare_virtualenv,
    pss_mib,
    redis_server,
    scratch,
    wait_for_replies,
    write_json,
)

STEP = 500


def snapshot(instance: Instance, label: str, at_message: int) -> dict[str, object]:
    per_process = {role: round(pss_mib(pid), 1) for role, pid in sorted(instance.roles().items())}
    return {
        "phase": label,
        "messages": at_message,
        "total_mib": round(sum(per_process.values()), 1),
        "processes": per_process,
        "load": load_average(),
    }


def wait_ready(instance: Instance, kind: str, timeout: float = 180) -> None:
    """Serving, and the worker consuming (Alfred's /healthz/ pings Celery; the bare one: its log says so)."""
    instance.wait_healthy(timeout)
    deadline = time.monotonic() + timeout
    while kind == "bare" and " ready." not in instance.log.read_text(errors="replace"):
        if time.monotonic() > deadline:
            raise SystemExit("the bare worker did not become ready:\n" + instance.tail())
        time.sleep(0.2)


def run(kind: str, args: argparse.Namespace, tmp: Path, graph: TimedGraph) -> list[dict[str, object]]:
    with redis_server() as redis_url, postgres_database(f"bench_{kind}") as database_url:
        port = free_port()
        env = instance_env(database_url, redis_url, graph.url, port, tmp / kind)
        if kind == "alfred":
            migrate_and_seed(env, args.senders)
            argv = ["bash", args.start, "home"]
        else:
            env["DJANGO_SETTINGS_MODULE"] = "bench.bare_project.settings"
            env["BEAT_SCHEDULE_FILE"] = str(tmp / "celerybeat-bare")
            import subprocess

            subprocess.run([str(PY), "-m", "django", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
            argv = ["bash", "bench/bare_project/start.sh"]
        (tmp / kind).mkdir(parents=True, exist_ok=True)
        instance = Instance(env, tmp / kind / "log", argv).start()
        snapshots: list[dict[str, object]] = []
        try:
            wait_ready(instance, kind)
            time.sleep(args.settle)
            snapshots.append(snapshot(instance, "idle", 0))
            first = [f"wamid.mem.{kind}.first"]
            open_loop(port, first, 1, 1.0)
            if wait_for_replies(graph, first, 60):
                raise SystemExit(f"{kind}: the first message was not answered:\n{instance.tail()}")
            time.sleep(1)
            snapshots.append(snapshot(instance, "first request", 1))
            done = 0
            statuses: dict[int, int] = {}
            while done < args.messages:
                chunk = [f"wamid.mem.{kind}.{i}" for i in range(done, min(done + STEP, args.messages))]
                sent = open_loop(port, chunk, args.senders, args.rate)
                for status, count in sent.statuses.items():
                    statuses[status] = statuses.get(status, 0) + count
                done += len(chunk)
                snapshots.append(snapshot(instance, f"after {done}", done))
                print(f"  {kind}: {done} sent, total PSS {snapshots[-1]['total_mib']} MiB", file=sys.stderr)
            wamids = [f"wamid.mem.{kind}.{i}" for i in range(args.messages)]
            missing = wait_for_replies(graph, wamids, 300)
            time.sleep(args.settle)
            snapshots.append(snapshot(instance, "after (all answered)", args.messages))
            snapshots[-1]["unanswered"] = missing
            snapshots[-1]["statuses"] = statuses
        finally:
            instance.stop()
        return snapshots


def report(results: dict[str, list[dict[str, object]]], args: argparse.Namespace) -> dict[str, object]:
    print(
        f"Total PSS (MiB) — {args.messages} 'ping' deliveries at {args.rate:g}/s through the webhook; "
        f"{machine()['cores']} cores, load average at the end {load_average()} (shared machine: figures are noisy)"
    )
    for kind, snapshots in results.items():
        roles = sorted({role for snap in snapshots for role in snap["processes"]})  # type: ignore[attr-defined]
        print(f"\n{kind}: " + ("bash fly/start.sh home" if kind == "alfred" else "bench/bare_project/start.sh"))
        print(f"{'phase':24}" + "".join(f"{role:>18}" for role in roles) + f"{'total':>10}{'load':>18}")
        for snap in snapshots:
            processes = snap["processes"]
            cells = "".join(f"{processes.get(role, 0.0):>18.1f}" for role in roles)  # type: ignore[attr-defined]
            print(f"{snap['phase']:24}{cells}{snap['total_mib']:>10.1f}{snap['load']:>18}")
        last = snapshots[-1]
        print(f"  webhook statuses {last.get('statuses')}, unanswered {last.get('unanswered')}")
    summary: dict[str, object] = {}
    if len(results) == 2:
        alfred, bare = results["alfred"], results["bare"]
        for index, name in ((0, "idle"), (1, "first request"), (-1, "after")):
            ratio = alfred[index]["total_mib"] / bare[index]["total_mib"]  # type: ignore[operator]
            summary[f"ratio_{name.replace(' ', '_')}"] = round(ratio, 2)
            print(
                f"ratio alfred ÷ bare, {name}: {alfred[index]['total_mib']} ÷ {bare[index]['total_mib']} MiB "
                f"= {ratio:.2f}×"
            )
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=5000, help="deliveries per project (issue 20: 5,000)")
    parser.add_argument("--rate", type=float, default=20.0, help="deliveries per second, open loop")
    parser.add_argument("--senders", type=int, default=50, help="members the deliveries come from")
    parser.add_argument("--settle", type=float, default=5.0, help="seconds to wait before an idle/after snapshot")
    parser.add_argument("--only", choices=("alfred", "bare"), help="measure only one of the two")
    parser.add_argument("--start", default="fly/start.sh", help="the start script of Alfred (to compare layouts)")
    args = parser.parse_args()
    if args.messages > 20_000 or args.rate > 200:
        raise SystemExit("refusing: keep the bench bounded (≤ 20,000 messages, ≤ 200/s)")
    prepare_virtualenv()
    results: dict[str, list[dict[str, object]]] = {}
    with scratch() as tmp, TimedGraph() as graph:
        for kind in ("alfred", "bare"):
            if args.only in (None, kind):
                results[kind] = run(kind, args, tmp, graph)
    summary = report(results, args)
    out = write_json(
        "memory.json",
        {"machine": machine(), "messages": args.messages, "rate": args.rate, **summary, "runs": results},
    )
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
