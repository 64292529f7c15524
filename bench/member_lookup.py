#!/usr/bin/env python
"""Benchmark: who sent this? The webhook's member lookup with the per-process cache and without it.

Creates a throwaway Postgres database (migrated, dropped afterwards) with a household of five members, then
times ``alfred.members.members.find`` for a mix of member and stranger addresses: once with the cache
(``ALFRED_MEMBER_CACHE_SECONDS`` 30, entries warm, as in a web process that has seen each sender) and once
with it off (0: one indexed query per message). Prints microseconds per lookup and the difference per
webhook request, to weigh against the webhook's ~2.5 ms of CPU per delivery (bench/webhook_whatsapp.py).

    .venv/bin/python bench/member_lookup.py [--lookups 5000]
"""

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import home_in_this_process  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lookups", type=int, default=5000, help="lookups per variant (at most 50,000)")
    args = parser.parse_args()
    if not 0 < args.lookups <= 50_000:
        raise SystemExit("refusing: keep the bench bounded (1–50,000 lookups)")
    with home_in_this_process("alfred_bench_members"):
        run(args.lookups)


def run(lookups: int) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from alfred.members import members
    from alfred.models import Member, MemberAddress

    call_command("migrate", verbosity=0)
    for n in range(5):
        member = Member.objects.create(name=f"Member {n}")
        MemberAddress.objects.create(member=member, channel="whatsapp", address=f"3460000000{n}")
    # Half the traffic from members, half from ten strangers (a stranger is remembered as "nobody" too).
    senders = [(f"3460000000{n % 5}",) if n % 2 else (f"3469999999{n % 10}",) for n in range(lookups)]

    results = {}
    for label, seconds in (("cache on (30 s, warm)", 30.0), ("cache off (0)", 0.0)):
        settings.ALFRED_MEMBER_CACHE_SECONDS = seconds
        members.clear()
        for addresses in senders[:20]:  # warm the entries and the connection
            members.find(channel="whatsapp", addresses=addresses)
        started = time.perf_counter()
        for addresses in senders:
            members.find(channel="whatsapp", addresses=addresses)
        results[label] = (time.perf_counter() - started) / lookups * 1e6
    for label, micros in results.items():
        print(f"{label:24} {micros:8.1f} µs per lookup")
    saved = results["cache off (0)"] - results["cache on (30 s, warm)"]
    print(f"the cache saves {saved:.0f} µs (wall) per webhook delivery")


if __name__ == "__main__":
    main()
