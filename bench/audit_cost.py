#!/usr/bin/env python
"""Benchmark: where recording a message in the audit trail costs least.

Creates a throwaway Postgres database (migrated, dropped afterwards) and times, per message:

1. the webhook's inbox statement as it is (``alfred.inbox.INBOX_INSERT``, one round trip);
2. the same statement with the audit event inserted by it too (one more CTE): recording at the webhook;
3. the whole worker path (inbox → handling → reply → send, inline, console channel, a member's "ping") with
   the audit calls of ``alfred.handling``/``alfred.outbox`` as built, and with them replaced by no-ops.

    .venv/bin/python bench/audit_cost.py [--messages 500]
"""

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=500, help="messages per variant (at most 20,000)")
    parser.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432"))
    args = parser.parse_args()
    if not 0 < args.messages <= 20_000:
        raise SystemExit("refusing: keep the bench bounded (1–20,000 messages)")
    database = f"alfred_bench_audit_{os.getpid()}"
    with psycopg.connect(f"{args.postgres}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    try:
        os.environ.update(
            DJANGO_SETTINGS_MODULE="settings.home",
            DATABASE_URL=f"{args.postgres}/{database}",
            SECRET_KEY="bench-only-secret-key",
            DEBUG="0",
            TASKS_INLINE="1",
            LOG_LEVEL="WARNING",
        )
        os.environ.pop("REDIS_URL", None)
        run(args.messages)
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(f"{args.postgres}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def timed(count: int, first: Callable[[int], object], second: Callable[[int], object]) -> tuple[float, float]:
    """Median microseconds of each action over ``count`` runs, taking turns so that the machine's drift (it
    is shared) falls on both alike; 20 warm-up runs each first."""
    for n in range(20):
        first(-1 - n)
        second(-1 - n)
    samples: tuple[list[float], list[float]] = ([], [])
    for n in range(count):
        for action, kept in ((first, samples[0]), (second, samples[1])):
            started = time.perf_counter()
            action(n)
            kept.append((time.perf_counter() - started) * 1e6)
    return statistics.median(samples[0]), statistics.median(samples[1])


def run(count: int) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from alfred import handling, inbox, outbox
    from alfred.inbox import INBOX_INSERT
    from alfred.models import Member

    call_command("migrate", verbosity=0)
    member = Member.objects.create(name="Ana")

    # The webhook statement with the event inserted by it as well: message → audit event in one round trip.
    head, tail = INBOX_INSERT.split("\nINSERT INTO alfred_message", 1)
    with_audit = (
        f"{head}, message AS (\nINSERT INTO alfred_message{tail}), audit AS ("
        " INSERT INTO alfred_auditevent (at, instance, actor, action, target, detail)"
        " SELECT %(now)s, 'home', 'member:' || %(sender_id)s, 'message.inbound', 'message:' || id,"
        " jsonb_build_object('channel', %(channel)s) FROM message"
        ") SELECT id FROM message"
    )

    def statement(sql: str, prefix: str) -> Callable[[int], object]:
        def insert(n: int) -> object:
            values = {
                "channel": "whatsapp",
                "provider_message_id": f"{prefix}.{n}",
                "external_id": "34600000001",
                "sender_id": member.pk,
                "kind": "text",
                "text": "ping",
                "raw": '{"text": "ping"}',
                "intent": None,
                "created_at": timezone.now(),
                "now": timezone.now(),
            }
            connection.ensure_connection()
            with psycopg.Cursor(connection.connection) as cursor:
                cursor.execute(sql, values)
                return cursor.fetchone()

        return insert

    webhook_now, webhook_audited = timed(count, statement(INBOX_INSERT, "plain"), statement(with_audit, "audited"))

    def worker_path(prefix: str) -> Callable[[int], object]:
        def message(n: int) -> object:
            return inbox.message_record_inbound(
                channel="console",
                provider_message_id=f"{prefix}.{n}",
                conversation_external_id="console:bench",
                sender=member,
                text="ping",
                raw={},
            )

        return message

    recorders = (handling.audit_record, outbox.audit_record)

    def unaudited(prefix: str) -> Callable[[int], object]:
        def message(n: int) -> object:
            handling.audit_record = outbox.audit_record = lambda *args, **kwargs: None  # type: ignore[assignment]
            try:
                return worker_path(prefix)(n)
            finally:
                handling.audit_record, outbox.audit_record = recorders

        return message

    path_audited, path_plain = timed(count, worker_path("path-audited"), unaudited("path-plain"))

    def statements(action: Callable[[int], object]) -> int:
        counted: list[str] = []

        def count_one(execute: Callable[..., object], sql: str, *args: object) -> object:
            counted.append(sql)
            return execute(sql, *args)

        with connection.execute_wrapper(count_one):
            action(count + 1)
        return len(counted)

    audited_statements = statements(worker_path("path-audited"))
    plain_statements = statements(unaudited("path-plain"))

    print(f"medians of {count} messages, µs (wall)")
    print(f"webhook statement as built          {webhook_now:9.0f}")
    print(f"webhook statement + audit insert    {webhook_audited:9.0f}  (+{webhook_audited - webhook_now:.0f})")
    print(f"whole path, worker audits (built)   {path_audited:9.0f}")
    print(f"whole path, no audit                {path_plain:9.0f}  (audit costs {path_audited - path_plain:+.0f})")
    print(f"SQL statements per message, whole path: {plain_statements} without audit, {audited_statements} with")


if __name__ == "__main__":
    main()
