#!/usr/bin/env python
"""Benchmark: process start → ``/healthz/`` 200, the instance started exactly as a Fly machine starts it.

``bash fly/start.sh home`` on its own redis-server and Postgres database (migrated beforehand, as Fly's
``release_command`` does once per deploy: start.sh does not migrate), the Graph API stand-in as WhatsApp. Each
round starts the instance and polls ``/healthz/`` every 50 ms: the first answer of any status (gunicorn's worker
is serving) and the first 200 (every check, the Celery worker answering on this instance's queue included),
then stops it. Alongside, the pieces on their own: the web process's boot (``python -c "import
settings.wsgi"``: interpreter, ``django.setup()``, the boot checks) and, when start.sh runs it, ``manage.py
check``. Last, once more, the gunicorn worker's memory (PSS and RSS from /proc) once it has booted (its CPU
time stands still for 1.5 s) and before any request, after its first ``/healthz/`` 200, and after a request for
``/api/schema/``: what the first request adds to the web process.

    .venv/bin/python bench/cold_start.py [--rounds 5]

Writes var/bench/cold_start.json. The machine is shared with other jobs (2 cores): the times are upper bounds,
printed with the load average.
"""

import argparse
import http.client
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import (
    INSTANCE_PY,
    ROOT,
    Instance,
    TimedGraph,
    cpu_seconds,
    free_port,
    instance_env,
    load_average,
    machine,
    migrate_and_seed,
    postgres_database,
    prepare_virtualenv,
    pss_mib,
    redis_server,
    scratch,
    write_json,
)

START = ROOT / "fly" / "start.sh"


def healthz_status(port: int) -> int | None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/healthz/")
        return conn.getresponse().status
    except OSError:
        return None
    finally:
        conn.close()


def one_start(env: dict[str, str], log: Path, timeout: float) -> dict[str, float]:
    port = int(env["PORT"])
    instance = Instance(env, log).start()
    serving = 0.0
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert instance.process is not None
            if instance.process.poll() is not None:
                raise SystemExit(f"the instance exited with {instance.process.returncode}:\n{instance.tail()}")
            status = healthz_status(port)
            elapsed = time.perf_counter() - instance.started
            if status is not None and not serving:
                serving = elapsed
            if status == 200:
                return {"first_answer_s": round(serving, 2), "healthz_200_s": round(elapsed, 2)}
            time.sleep(0.05)
        raise SystemExit("no /healthz/ 200 in time:\n" + instance.tail())
    finally:
        instance.stop()


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def web_memory(env: dict[str, str], log: Path, timeout: float) -> dict[str, dict[str, float]]:
    """The gunicorn worker's PSS/RSS booted and idle, after its first /healthz/ 200, after /api/schema/."""
    port = int(env["PORT"])
    instance = Instance(env, log).start()
    figures: dict[str, dict[str, float]] = {}

    def snapshot(label: str, pid: int) -> None:
        figures[label] = {"pss_mib": round(pss_mib(pid), 1), "rss_mib": round(rss_mib(pid), 1)}

    try:
        deadline = time.monotonic() + timeout
        pid, still, last = 0, 0, -1.0
        while still < 3:  # booted: no CPU used for 3 × 0.5 s
            if time.monotonic() > deadline:
                raise SystemExit("the web worker did not settle:\n" + instance.tail())
            time.sleep(0.5)
            pid = instance.roles().get("gunicorn worker", 0)
            used = cpu_seconds(pid) if pid else -1.0
            still = still + 1 if pid and used == last else 0
            last = used
        snapshot("booted, before any request", pid)
        while healthz_status(port) != 200:
            if time.monotonic() > deadline:
                raise SystemExit("no /healthz/ 200 in time:\n" + instance.tail())
            time.sleep(0.05)
        time.sleep(1)
        snapshot("after the first /healthz/ 200", pid)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/api/schema/")
        conn.getresponse().read()
        conn.close()
        time.sleep(1)
        snapshot("after /api/schema/", pid)
    finally:
        instance.stop()
    return figures


def timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return round(time.perf_counter() - started, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for a 200 per round")
    args = parser.parse_args()
    prepare_virtualenv()
    checks_at_start = re.search(r"^\s*\$PY manage\.py check", START.read_text(), re.MULTILINE) is not None
    rows: list[dict[str, float | str]] = []
    with scratch() as tmp, TimedGraph() as graph, redis_server() as redis_url:
        with postgres_database("bench_cold") as database_url:
            env = instance_env(database_url, redis_url, graph.url, free_port(), tmp)
            migrate_and_seed(env, 1)
            for round_ in range(1, args.rounds + 1):
                row: dict[str, float | str] = {"round": round_}
                row.update(one_start(env, tmp / f"log{round_}", args.timeout))
                row["web_boot_s"] = timed([str(INSTANCE_PY), "-c", "import settings.wsgi"], env)
                if checks_at_start:
                    check = [str(INSTANCE_PY), "manage.py", "check", "--fail-level", "ERROR"]
                    row["manage_py_check_s"] = timed(check, env)
                row["load"] = load_average()
                rows.append(row)
                print(f"  round {round_}: {row}", file=sys.stderr)
            memory = web_memory(env, tmp / "log-memory", args.timeout)
    columns = [c for c in ("first_answer_s", "healthz_200_s", "web_boot_s", "manage_py_check_s") if c in rows[0]]
    titles = {
        "first_answer_s": "first answer",
        "healthz_200_s": "/healthz/ 200",
        "web_boot_s": "web boot alone",
        "manage_py_check_s": "manage.py check",
    }
    print(
        f"bash fly/start.sh home → /healthz/ (seconds; {machine()['cores']} cores shared with other jobs: upper bounds)"
    )
    print(f"{'round':>6}" + "".join(f"{titles[c]:>17}" for c in columns) + f"{'load':>18}")
    for row in rows:
        print(f"{row['round']:>6}" + "".join(f"{row[c]:>17.2f}" for c in columns) + f"{row['load']:>18}")
    medians = {c: round(statistics.median(float(row[c]) for row in rows), 2) for c in columns}
    print(f"{'median':>6}" + "".join(f"{medians[c]:>17.2f}" for c in columns))
    print("\ngunicorn worker (MiB)              PSS      RSS")
    for label, figures in memory.items():
        print(f"{label:32}{figures['pss_mib']:>7.1f}{figures['rss_mib']:>9.1f}")
    out = write_json(
        "cold_start.json",
        {
            "machine": machine(),
            "manage_py_check_at_start": checks_at_start,
            "medians": medians,
            "rounds": rows,
            "web_worker_memory": memory,
        },
    )
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
