#!/usr/bin/env python
"""Benchmark: where recording a message in the audit trail costs least.

Creates a throwaway Postgres database (migrated, dropped afterwards) and times, per message:

1. the webhook's inbox statement as it is (``alfred.inbox.INBOX_INSERT``, one round trip);
2. the same statement with the audit event inserted by it too (one more CTE): recording at the webhook;
3. the whole worker path (inbox → handling → reply → send, inline, console channel, a member's "ping") with
   the audit calls of ``alfred.handling``/``alfred.outbox`` as built, and with them replaced by no-ops.

4. the nightly archive: ``--archive-events`` events (30+ days old) to moto's S3 server on loopback through
   django-storages, in batches of ``ALFRED_AUDIT_ARCHIVE_BATCH``: seconds, and the process's resident memory
   before and after (boto3 is imported by the run, in the worker that runs it).

    .venv/bin/python bench/audit_cost.py [--messages 500] [--archive-events 50000]
"""

import argparse
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import home_in_this_process  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=500, help="messages per variant (at most 20,000)")
    parser.add_argument("--archive-events", type=int, default=50_000, help="events to archive (at most 500,000)")
    args = parser.parse_args()
    if not 0 < args.messages <= 20_000:
        raise SystemExit("refusing: keep the bench bounded (1–20,000 messages)")
    if not 0 < args.archive_events <= 500_000:
        raise SystemExit("refusing: keep the bench bounded (1–500,000 archived events)")
    with home_in_this_process("alfred_bench_audit"):
        run(args.messages)
        archive(args.archive_events)


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


def resident_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def archive(count: int) -> None:
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    from alfred.audit_archive import audit_archive
    from alfred.models import AuditEvent

    # moto in a process of its own, so that its memory is not counted as the archive run's.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        host, port = probe.getsockname()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", host, "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            with socket.socket() as attempt:
                if attempt.connect_ex((host, port)) == 0:
                    break
            time.sleep(0.1)
        credentials = {"region_name": "us-east-1", "access_key": "bench", "secret_key": "bench"}
        settings.STORAGES = {
            **settings.STORAGES,
            "audit": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {"bucket_name": "bench", "endpoint_url": f"http://{host}:{port}", **credentials},
            },
        }
        AuditEvent.objects.all().delete()
        old = timezone.now() - timedelta(days=40)
        # Synthetic but varied: five members, 50 conversations, a message id each.
        AuditEvent.objects.bulk_create(
            AuditEvent(
                at=old + timedelta(seconds=n * 7),
                instance="home",
                actor=f"member:{n % 5 + 1}",
                action="message.inbound",
                target=f"message:{n + 100_000}",
                detail={"channel": "whatsapp", "kind": "text", "status": "handled", "path": "rules",
                        "conversation": n % 50 + 1},
            )
            for n in range(count)
        )  # fmt: skip
        settled = resident_mib()
        import boto3

        # The bench's own client (to make the bucket and sum the objects): boto3's import and one S3 client,
        # which the archive run would otherwise pay for itself.
        client = boto3.client("s3", endpoint_url=f"http://{host}:{port}", aws_access_key_id="bench",
                              aws_secret_access_key="bench", region_name="us-east-1")  # fmt: skip
        client.create_bucket(Bucket="bench")
        before = resident_mib()
        started = time.perf_counter()
        report = audit_archive()
        seconds = time.perf_counter() - started
        after = resident_mib()
        stored = sum(o["Size"] for o in client.list_objects_v2(Bucket="bench").get("Contents", []))
        print(
            f"archive: {report.events_archived} events in {len(report.objects_written)} objects "
            f"({settings.ALFRED_AUDIT_ARCHIVE_BATCH}/object) in {seconds:.1f} s, "
            f"{stored / report.events_archived:.0f} bytes/event gzipped; "
            f"resident memory: {settled:.0f} MiB, +{before - settled:.0f} with boto3 and one S3 client, "
            f"+{after - before:.0f} more after the run (its own client and the batches)"
        )
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
