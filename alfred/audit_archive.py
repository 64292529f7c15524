"""Retention: the nightly run (beat, ``alfred.tasks.audit_archive``) and ``manage.py audit_archive``.

1. Audit events older than ``ALFRED_AUDIT_RETENTION_DAYS`` leave the database as gzipped JSON lines in the
   ``audit`` storage (S3 through django-storages, or a local directory). A batch is deleted from the database
   only after its object is written and its size read back, so a failed upload deletes nothing.
2. Archives are kept ``ALFRED_AUDIT_ARCHIVE_DAYS`` after their events left the database, then deleted.
3. Strangers' messages (from senders no member address matched) and Alfred's answers to them are deleted
   after the same retention as the audit events.

Objects are named ``<instance>/<UTC date of the newest event>/audit-<instance>-<first id>-<last id>.jsonl.gz``:
a run that died between upload and delete writes the same name again (same events), and the date in the
name is what the purge goes by, so no object has to be opened or stat'ed to know its age.
"""

import gzip
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from celery import shared_task
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from alfred.audit import ARCHIVE, ARCHIVE_FAILED, audit_record
from alfred.models import AuditEvent, Conversation, Direction, Message

logger = logging.getLogger(__name__)

ARCHIVE_STORAGE = "audit"


def archive_hosts() -> list[str]:
    """The hosts the archive run connects to, for the egress guard's allow-list (none without a bucket)."""
    bucket = settings.ALFRED_AUDIT_BUCKET
    if not bucket:
        return []
    if settings.ALFRED_AUDIT_S3_ENDPOINT_URL:
        return [urlsplit(settings.ALFRED_AUDIT_S3_ENDPOINT_URL).hostname or ""]
    # AWS itself: boto3 addresses the bucket by virtual host, on the regional or the global endpoint.
    region = settings.ALFRED_AUDIT_S3_REGION or "us-east-1"
    return [f"{bucket}.s3.{region}.amazonaws.com", f"{bucket}.s3.amazonaws.com", f"s3.{region}.amazonaws.com"]


class ArchiveError(Exception):
    """The archive storage refused or lost a write: the events of that batch stay in the database."""


@dataclass
class ArchiveReport:
    dry_run: bool = False
    events_archived: int = 0
    objects_written: list[str] = field(default_factory=list)
    archives_purged: list[str] = field(default_factory=list)
    strangers_messages_deleted: int = 0
    error: str = ""

    def lines(self) -> list[str]:
        would = "would be " if self.dry_run else ""
        lines = [
            f"audit events {would}archived: {self.events_archived} in {len(self.objects_written)} object(s)",
            *(f"  {name}" for name in self.objects_written),
            f"archives {would}purged: {len(self.archives_purged)}",
            *(f"  {name}" for name in self.archives_purged),
            f"strangers' messages {would}deleted: {self.strangers_messages_deleted}",
        ]
        if self.error:
            lines.append(f"error: {self.error}")
        return lines


@shared_task(name="alfred.tasks.audit_archive", acks_late=True)
def audit_archive_task() -> None:
    report = audit_archive()
    if report.error:
        # The task fails visibly; the next night's run starts again from what is still in the database.
        raise ArchiveError(report.error)


def audit_archive(*, now: datetime | None = None, dry_run: bool = False) -> ArchiveReport:
    """The whole nightly run. A storage failure stops the archiving and the purge (the error is in the
    report); strangers' messages are deleted anyway, since their retention must not hang on the bucket."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.ALFRED_AUDIT_RETENTION_DAYS)
    purge_before = (cutoff - timedelta(days=settings.ALFRED_AUDIT_ARCHIVE_DAYS)).date()
    report = ArchiveReport(dry_run=dry_run)
    storage = storages[ARCHIVE_STORAGE]
    try:
        events_archive(storage, cutoff=cutoff, report=report)
        archives_purge(storage, before=purge_before, report=report)
    except ArchiveError as exc:
        report.error = str(exc)
        logger.error("audit archive: %s; the events of that batch stay in the database", exc)
    report.strangers_messages_deleted = strangers_messages_delete(cutoff=cutoff, dry_run=dry_run)
    if not dry_run:
        counts: dict[str, Any] = {
            "events": report.events_archived,
            "objects": len(report.objects_written),
            "archives_purged": len(report.archives_purged),
            "strangers_messages": report.strangers_messages_deleted,
        }
        if report.error:
            audit_record(ARCHIVE_FAILED, error=report.error[:300], **counts)
        else:
            audit_record(ARCHIVE, **counts)
    logger.info("audit archive: %s", "; ".join(line for line in report.lines() if not line.startswith(" ")))
    return report


# The columns of an archived event, read as plain rows: model instances would cost the worker several times
# the memory for nothing (bench/audit_cost.py).
EVENT_FIELDS = ("id", "at", "instance", "actor", "action", "target", "detail")


def event_line(event: dict[str, Any]) -> str:
    return json.dumps({**event, "at": event["at"].isoformat()}, ensure_ascii=False, sort_keys=True) + "\n"


def archive_name(events: list[dict[str, Any]]) -> str:
    instance = settings.INSTANCE
    newest = max(event["at"] for event in events).astimezone(UTC)
    return f"{instance}/{newest:%Y-%m-%d}/audit-{instance}-{events[0]['id']:012d}-{events[-1]['id']:012d}.jsonl.gz"


def archive_body(events: list[dict[str, Any]]) -> bytes:
    # mtime=0: the same events always make the same bytes, so a rewritten object is the same object.
    return gzip.compress("".join(map(event_line, events)).encode(), mtime=0)


def events_archive(storage: Storage, *, cutoff: datetime, report: ArchiveReport) -> None:
    old = AuditEvent.objects.filter(at__lt=cutoff).order_by("pk")
    batch_size = settings.ALFRED_AUDIT_ARCHIVE_BATCH
    if report.dry_run:
        report.events_archived = old.count()
        report.objects_written = [f"(object {n + 1})" for n in range(-(-report.events_archived // batch_size))]
        return
    while events := list(old.values(*EVENT_FIELDS)[:batch_size]):
        name = archive_name(events)
        body = archive_body(events)
        try:
            saved = storage.save(name, ContentFile(body))
            # Read back before deleting: an object the storage does not hold whole must not cost the events.
            stored = storage.size(saved)
        except Exception as exc:  # boto3, network and disk errors alike: nothing is deleted
            raise ArchiveError(f"could not write {name}: {type(exc).__name__}: {exc}") from exc
        if stored != len(body):
            raise ArchiveError(f"{name} holds {stored} bytes, {len(body)} were written")
        AuditEvent.objects.filter(pk__in=[event["id"] for event in events]).delete()
        report.events_archived += len(events)
        report.objects_written.append(saved)


def archives_purge(storage: Storage, *, before: date, report: ArchiveReport) -> None:
    """Delete the archives whose newest event is older than ``before``."""
    instance = settings.INSTANCE
    try:
        days, _ = storage.listdir(instance)
    except FileNotFoundError:  # nothing archived yet
        return
    except Exception as exc:
        raise ArchiveError(f"could not list the archives: {type(exc).__name__}: {exc}") from exc
    for day in sorted(days):
        try:
            day_date = date.fromisoformat(day)
        except ValueError:
            logger.warning("audit archive: %s/%s is not an archive day; left alone", instance, day)
            continue
        if day_date >= before:
            continue
        try:
            _, names = storage.listdir(f"{instance}/{day}")
            for name in sorted(names):
                path = f"{instance}/{day}/{name}"
                if not report.dry_run:
                    storage.delete(path)
                report.archives_purged.append(path)
        except Exception as exc:
            raise ArchiveError(f"could not purge {instance}/{day}: {type(exc).__name__}: {exc}") from exc


# Strangers' messages deleted per transaction: a flood of them (spam) must not be loaded into the worker at
# once, since a delete collects what cascades with each row.
STRANGERS_BATCH = 1000


def strangers_messages_delete(*, cutoff: datetime, dry_run: bool = False) -> int:
    """Delete the messages of senders no member address matched, older than ``cutoff``, with Alfred's
    answers to them (refusals, "text only" notices); then the strangers' conversations left empty (they hold
    the stranger's address). A member's own messages are never touched."""
    strangers = Message.objects.filter(direction=Direction.INBOUND, sender__isnull=True, created_at__lt=cutoff)
    # A refusal whose message is gone already (deleted by hand in the admin, say).
    orphan_refusals = Message.objects.filter(
        direction=Direction.OUTBOUND,
        kind="refusal",
        reply_to__isnull=True,
        conversation__member__isnull=True,
        created_at__lt=cutoff,
    )
    if dry_run:
        answers = Message.objects.filter(direction=Direction.OUTBOUND, reply_to__in=strangers)
        return strangers.count() + answers.count() + orphan_refusals.count()
    deleted = 0
    while batch := list(strangers.values_list("pk", flat=True)[:STRANGERS_BATCH]):
        with transaction.atomic():
            # Answers first: once their message is deleted, nothing would find them.
            deleted += _messages_deleted(Message.objects.filter(direction=Direction.OUTBOUND, reply_to__in=batch))
            deleted += _messages_deleted(Message.objects.filter(pk__in=batch))
    deleted += _messages_deleted(orphan_refusals)
    Conversation.objects.filter(member__isnull=True, messages__isnull=True, created_at__lt=cutoff).delete()
    return deleted


def _messages_deleted(messages: QuerySet[Message]) -> int:
    # Counted per model: a delete's total also counts the rows that cascade with it (tool calls, …).
    _, by_model = messages.delete()
    return by_model.get(Message._meta.label, 0)
