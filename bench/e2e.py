#!/usr/bin/env python
"""Benchmark: webhook → reply at the provider, end to end, on the rules path ("ping" → "pong").

One instance as ``fly/start.sh home`` runs it (gunicorn gthread 1×4, ``celery worker -B --pool=threads``) on its
own redis-server and Postgres database, the Graph API stand-in as WhatsApp. For each rate in ``--rates``,
``--seconds`` of signed deliveries, open loop (due at t0 + i/rate, from ``--senders`` members), and for each the
time from its due time to the stand-in receiving the reply that quotes it. Per rate: p50/p99 latency, the
Celery worker's CPU per message (utime+stime of the worker and its beat child, /proc/PID/stat), gunicorn's, and
new Postgres sessions per message (``pg_stat_database.sessions`` of the instance's database, read from
another database so the bench's own are not counted). Then the highest rate of those tried whose p99 stayed under 1 s.

    .venv/bin/python bench/e2e.py [--rates 10,20,40] [--seconds 20]

Writes var/bench/e2e.json. The machine is shared: the load average is printed with each row.
"""

import argparse
import sys
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import (
    ROOT,
    Instance,
    TimedGraph,
    cpu_seconds,
    free_port,
    instance_env,
    load_average,
    machine,
    migrate_and_seed,
    open_loop,
    percentile,
    postgres_database,
    prepare_virtualenv,
    redis_server,
    scratch,
    wait_for_replies,
    write_json,
)


def sessions(database_url: str) -> int:
    """Sessions ever opened on the database (Postgres 14+); asked from another database, so not counted."""
    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(database_url.rsplit("/", 1)[0] + "/postgres") as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        row = conn.execute("SELECT sessions FROM pg_stat_database WHERE datname = %s", (name,)).fetchone()
    return int(row[0]) if row else 0


def worker_cpu(instance: Instance) -> tuple[float, float]:
    roles = instance.roles()
    celery = sum(cpu_seconds(pid) for role, pid in roles.items() if "celery" in role or "beat" in role)
    return celery, cpu_seconds(roles.get("gunicorn worker", 0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", default="10,20,40", help="deliveries per second to try, comma-separated")
    parser.add_argument("--seconds", type=float, default=20.0, help="seconds of load per rate")
    parser.add_argument("--senders", type=int, default=50, help="members the deliveries come from")
    parser.add_argument("--warmup", type=int, default=50, help="deliveries answered before measuring")
    args = parser.parse_args()
    rates = [float(rate) for rate in args.rates.split(",")]
    if max(rates) > 200 or args.seconds > 120:
        raise SystemExit("refusing: keep the bench bounded (≤ 200/s, ≤ 120 s per rate)")
    prepare_virtualenv()
    rows: list[dict[str, object]] = []
    with scratch() as tmp, TimedGraph() as graph, redis_server() as redis_url:
        with postgres_database("bench_e2e") as database_url:
            port = free_port()
            env = instance_env(database_url, redis_url, graph.url, port, tmp)
            migrate_and_seed(env, args.senders)
            instance = Instance(env, tmp / "log").start()
            try:
                instance.wait_healthy(180)
                warm = [f"wamid.e2e.warm.{i}" for i in range(args.warmup)]
                open_loop(port, warm, args.senders, 10)
                wait_for_replies(graph, warm, 60)
                for rate in rates:
                    wamids = [f"wamid.e2e.{rate:g}.{i}" for i in range(int(rate * args.seconds))]
                    time.sleep(2)
                    opened, (celery, web) = sessions(database_url), worker_cpu(instance)
                    sent = open_loop(port, wamids, args.senders, rate)
                    missing = wait_for_replies(graph, wamids, 120)
                    time.sleep(1.5)  # Postgres publishes session counts within a second
                    new_sessions = sessions(database_url) - opened
                    celery2, web2 = worker_cpu(instance)
                    latencies = [graph.replied_at[w] - sent.due[w] for w in wamids if w in graph.replied_at]
                    count = len(wamids)
                    rows.append(
                        {
                            "rate": rate,
                            "messages": count,
                            "answered": len(latencies),
                            "unanswered": missing,
                            "webhook_statuses": sent.statuses,
                            "p50_ms": round(percentile(latencies, 50) * 1000, 1),
                            "p99_ms": round(percentile(latencies, 99) * 1000, 1),
                            "max_ms": round(max(latencies, default=float("nan")) * 1000, 1),
                            "celery_cpu_ms_per_message": round((celery2 - celery) / count * 1000, 2),
                            "gunicorn_cpu_ms_per_message": round((web2 - web) / count * 1000, 2),
                            "new_db_sessions_per_message": round(new_sessions / count, 3),
                            "load": load_average(),
                        }
                    )
                    print(f"  {rate:g}/s done: {rows[-1]}", file=sys.stderr)
            finally:
                instance.stop()
    meeting = [row["rate"] for row in rows if row["unanswered"] == 0 and float(row["p99_ms"]) < 1000]  # type: ignore[arg-type]
    best = max(meeting, default=None)  # type: ignore[type-var]
    print(
        f"webhook → reply at the Graph API stand-in, rules path ('ping'), fly/start.sh home; "
        f"{machine()['cores']} cores, shared machine (load average per row)"
    )
    header = ("rate/s", "sent", "answered", "p50 ms", "p99 ms", "max ms", "celery CPU ms/msg", "web CPU ms/msg",
              "new PG sessions/msg", "load 1/5/15")  # fmt: skip
    print("".join(f"{h:>20}" if i else f"{h:>8}" for i, h in enumerate(header)))
    for row in rows:
        cells = (row["rate"], row["messages"], row["answered"], row["p50_ms"], row["p99_ms"], row["max_ms"],
                 row["celery_cpu_ms_per_message"], row["gunicorn_cpu_ms_per_message"],
                 row["new_db_sessions_per_message"], row["load"])  # fmt: skip
        print("".join(f"{c:>20}" if i else f"{c:>8g}" for i, c in enumerate(cells)))  # type: ignore[str-format]
    print(f"highest rate tried with p99 < 1 s and every message answered: {best if best is not None else 'none'}")
    out = write_json("e2e.json", {"machine": machine(), "highest_rate_p99_under_1s": best, "rows": rows})
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
