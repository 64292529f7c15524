"""The nightly retention run: audit events out to object storage, old archives and strangers' messages gone.

The S3 tests run real boto3 and django-storages against moto's S3 server on loopback."""

import gzip
import json
from collections.abc import Iterator
from datetime import UTC, timedelta
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from alfred.audit_archive import audit_archive
from alfred.models import AuditEvent, Conversation, Direction, Member, Message, Status

NOW = timezone.now().replace(microsecond=0)
BUCKET = "alfred-audit-test"
INSTANCE = django_settings.INSTANCE


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def s3_options(endpoint: str, bucket: str = BUCKET) -> dict[str, Any]:
    return {
        "bucket_name": bucket,
        "endpoint_url": endpoint,
        "region_name": "us-east-1",
        "access_key": "test-access-key",
        "secret_key": "test-secret-key",
    }


@pytest.fixture
def s3(s3_endpoint: str, settings: Any) -> Iterator[Any]:
    """A fresh bucket, and the "audit" storage pointed at it as production configures it."""
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="test-access-key",
        aws_secret_access_key="test-secret-key",  # moto accepts any key
    )
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "audit": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": s3_options(s3_endpoint)},
    }
    yield client
    for listed in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=listed["Key"])
    client.delete_bucket(Bucket=BUCKET)


@pytest.fixture
def local_archive(tmp_path: Any, settings: Any) -> Any:
    settings.STORAGES = {
        **settings.STORAGES,
        "audit": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path), "allow_overwrite": True},
        },
    }
    return tmp_path


def event(days_ago: float, action: str = "tool.write", **detail: Any) -> AuditEvent:
    return AuditEvent.objects.create(
        at=NOW - timedelta(days=days_ago), instance=INSTANCE, actor="member:1", action=action, target="t", detail=detail
    )


def bucket_keys(client: Any) -> list[str]:
    return sorted(listed["Key"] for listed in client.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def archived_lines(client: Any, key: str) -> list[dict[str, Any]]:
    body = client.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    return [json.loads(line) for line in gzip.decompress(body).decode().splitlines()]


@pytest.mark.django_db
def test_events_past_the_retention_end_up_in_gzipped_json_lines_in_s3_and_leave_the_database(s3, settings):
    settings.ALFRED_AUDIT_ARCHIVE_BATCH = 2
    old = [event(45, n=1), event(40, n=2), event(31, n=3)]
    kept = [event(29), event(1)]

    report = audit_archive(now=NOW)

    assert report.error == ""
    assert report.events_archived == 3
    keys = bucket_keys(s3)
    assert len(keys) == 2  # batches of two events
    lines = [line for key in keys for line in archived_lines(s3, key)]
    assert [line["id"] for line in lines] == [e.pk for e in old]
    assert lines[0] == {
        "id": old[0].pk,
        "at": old[0].at.isoformat(),
        "instance": INSTANCE,
        "actor": "member:1",
        "action": "tool.write",
        "target": "t",
        "detail": {"n": 1},
    }
    # Named by instance and the UTC day of the newest event in the object: what the purge goes by.
    newest_day = f"{(NOW - timedelta(days=31)).astimezone(UTC):%Y-%m-%d}"
    assert keys[1] == f"{INSTANCE}/{newest_day}/audit-{INSTANCE}-{old[2].pk:012d}-{old[2].pk:012d}.jsonl.gz"
    remaining = set(AuditEvent.objects.exclude(action="audit.archive").values_list("pk", flat=True))
    assert remaining == {e.pk for e in kept}
    run = AuditEvent.objects.get(action="audit.archive")
    assert run.detail == {"events": 3, "objects": 2, "archives_purged": 0, "strangers_messages": 0}


@pytest.mark.django_db
def test_archives_older_than_the_archive_period_are_deleted_and_younger_ones_kept(s3, settings):
    # An archive's day is its newest event's: it left the database 30 days later, and is kept 180 more.
    days = settings.ALFRED_AUDIT_RETENTION_DAYS + settings.ALFRED_AUDIT_ARCHIVE_DAYS
    expired = f"{INSTANCE}/{(NOW - timedelta(days=days + 1)).date()}/audit-{INSTANCE}-1-2.jsonl.gz"
    young = f"{INSTANCE}/{(NOW - timedelta(days=days - 1)).date()}/audit-{INSTANCE}-3-4.jsonl.gz"
    for key in (expired, young):
        s3.put_object(Bucket=BUCKET, Key=key, Body=gzip.compress(b"{}\n"))

    report = audit_archive(now=NOW)

    assert report.archives_purged == [expired]
    assert bucket_keys(s3) == [young]


@pytest.mark.django_db
def test_a_failing_upload_deletes_nothing_and_the_command_exits_non_zero(s3, s3_endpoint, settings, capsys):
    old = event(40)
    days = settings.ALFRED_AUDIT_RETENTION_DAYS + settings.ALFRED_AUDIT_ARCHIVE_DAYS
    expired = f"{INSTANCE}/{(NOW - timedelta(days=days + 1)).date()}/audit-{INSTANCE}-1-2.jsonl.gz"
    s3.put_object(Bucket=BUCKET, Key=expired, Body=b"")
    # A bucket that is not there: every write is refused by S3, as with a revoked key or a full quota.
    settings.STORAGES = {
        **settings.STORAGES,
        "audit": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": s3_options(s3_endpoint, "no-such")},
    }

    with pytest.raises(CommandError, match=r"audit archive failed: could not write .*NoSuchBucket"):
        call_command("audit_archive")

    assert AuditEvent.objects.filter(pk=old.pk).exists()
    assert bucket_keys(s3) == [expired]  # nothing purged either while the storage fails
    failed = AuditEvent.objects.get(action="audit.archive_failed")
    assert failed.detail["events"] == 0 and "NoSuchBucket" in failed.detail["error"]
    assert "test-secret-key" not in capsys.readouterr().out


@pytest.mark.django_db
def test_an_object_the_storage_does_not_hold_whole_costs_no_event(local_archive, settings, monkeypatch):
    from django.core.files.storage import FileSystemStorage

    old = event(40)
    # A storage that answers the write but holds less than was sent (a truncated upload).
    monkeypatch.setattr(FileSystemStorage, "size", lambda self, name: 1)

    report = audit_archive(now=NOW)

    assert "holds 1 bytes" in report.error
    assert AuditEvent.objects.filter(pk=old.pk).exists()


@pytest.mark.django_db
def test_a_dry_run_says_what_it_would_do_and_changes_nothing(s3, settings):
    events = [event(40), event(35)]
    stranger = stranger_message(days_ago=40)

    out = run_command("audit_archive", "--dry-run")

    assert "audit events would be archived: 2 in 1 object(s)" in out
    assert "strangers' messages would be deleted: 1" in out
    assert bucket_keys(s3) == []
    assert AuditEvent.objects.filter(pk__in=[e.pk for e in events]).count() == 2
    assert Message.objects.filter(pk=stranger.pk).exists()
    assert not AuditEvent.objects.filter(action__startswith="audit.archive").exists()


@pytest.mark.django_db
def test_the_embedded_default_archives_to_a_local_directory_and_a_rerun_rewrites_the_same_file(local_archive):
    old = event(40)

    first = audit_archive(now=NOW)
    AuditEvent.objects.create(pk=old.pk, at=old.at, instance=INSTANCE, action=old.action, detail={})  # a crashed run
    second = audit_archive(now=NOW)

    assert first.objects_written == second.objects_written
    files = sorted(path.relative_to(local_archive) for path in local_archive.rglob("*.gz"))
    assert [str(path) for path in files] == first.objects_written
    assert json.loads(gzip.decompress((local_archive / files[0]).read_bytes()))["id"] == old.pk


def stranger_message(*, days_ago: float, member: Member | None = None, address: str = "+34999000111") -> Message:
    conversation, created = Conversation.objects.get_or_create(
        channel="console", external_id=address, defaults={"member": member}
    )
    if created:  # as old as its first message
        Conversation.objects.filter(pk=conversation.pk).update(created_at=NOW - timedelta(days=days_ago))
    return Message.objects.create(
        direction=Direction.INBOUND,
        channel="console",
        conversation=conversation,
        sender=member,
        text="hello?",
        status=Status.REFUSED if member is None else Status.HANDLED,
        created_at=NOW - timedelta(days=days_ago),
    )


def answer_to(inbound: Message, *, kind: str = "refusal") -> Message:
    return Message.objects.create(
        direction=Direction.OUTBOUND,
        channel="console",
        conversation=inbound.conversation,
        reply_to=inbound,
        kind=kind,
        text="Sorry, I only talk to members.",
        status=Status.SENT,
        created_at=inbound.created_at,
    )


@pytest.mark.django_db
def test_strangers_messages_past_the_retention_are_deleted_with_alfreds_answers_and_members_messages_stay(
    local_archive, monkeypatch
):
    from alfred import audit_archive as module

    monkeypatch.setattr(module, "STRANGERS_BATCH", 2)  # several batches
    ana = Member.objects.create(name="Ana audit")
    old_stranger = stranger_message(days_ago=31)
    old_refusal = answer_to(old_stranger)
    old_notice = answer_to(stranger_message(days_ago=32), kind="text")
    more_old = [stranger_message(days_ago=33 + n) for n in range(3)]
    orphan = answer_to(stranger_message(days_ago=34))
    Message.objects.filter(pk=orphan.reply_to_id).delete()  # its message deleted by hand
    recent_stranger = stranger_message(days_ago=29, address="+34999000222")
    members_old = stranger_message(days_ago=300, member=ana, address="+34600000009")
    members_answer = answer_to(members_old, kind="text")

    report = audit_archive(now=NOW)

    assert report.strangers_messages_deleted == 4 + len(more_old) + 1
    left = set(Message.objects.values_list("pk", flat=True))
    assert left == {recent_stranger.pk, members_old.pk, members_answer.pk}
    assert old_refusal.pk not in left and old_notice.pk not in left and orphan.pk not in left
    # The old stranger's conversation held only their address now: gone. The other two stay.
    assert not Conversation.objects.filter(external_id="+34999000111").exists()
    assert Conversation.objects.filter(external_id__in=["+34999000222", "+34600000009"]).count() == 2


@pytest.mark.django_db
def test_strangers_messages_go_even_when_the_archive_storage_fails(s3, s3_endpoint, settings):
    old = stranger_message(days_ago=40)
    settings.STORAGES = {
        **settings.STORAGES,
        "audit": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": s3_options(s3_endpoint, "no-such")},
    }
    event(40)

    report = audit_archive(now=NOW)

    assert report.error
    assert not Message.objects.filter(pk=old.pk).exists()


@pytest.mark.django_db
def test_beat_runs_the_archive_nightly_through_the_registered_task(local_archive):
    from alfred.tasks import audit_archive_task

    entry = next(e for e in django_settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == audit_archive_task.name)
    assert entry["schedule"].hour == {3}  # once a day
    event(40)

    audit_archive_task.delay()  # inline in tests, as TASKS_INLINE runs it

    assert AuditEvent.objects.get(action="audit.archive").detail["events"] == 1
    assert list(local_archive.rglob("*.jsonl.gz"))


def run_command(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_outside_development_an_archive_on_the_local_disk_is_warned_about(settings):
    from alfred.audit import check_archive_storage

    settings.DEV_MODE, settings.ALFRED_AUDIT_BUCKET = False, ""
    [warning] = check_archive_storage()
    settings.ALFRED_AUDIT_BUCKET = BUCKET

    assert warning.id == "alfred.W101" and "ALFRED_AUDIT_BUCKET" in warning.hint
    assert check_archive_storage() == []


@pytest.mark.parametrize(
    ("bucket", "endpoint", "region", "hosts"),
    [
        ("", "", "", []),
        ("audit-home", "https://fly.storage.tigris.dev", "auto", ["fly.storage.tigris.dev"]),
        (
            "audit-home",
            "",
            "eu-west-1",
            ["audit-home.s3.eu-west-1.amazonaws.com", "audit-home.s3.amazonaws.com", "s3.eu-west-1.amazonaws.com"],
        ),
    ],
)
def test_the_archive_names_the_hosts_the_egress_guard_must_admit(settings, bucket, endpoint, region, hosts):
    from alfred.audit_archive import archive_hosts

    settings.ALFRED_AUDIT_BUCKET, settings.ALFRED_AUDIT_S3_ENDPOINT_URL = bucket, endpoint
    settings.ALFRED_AUDIT_S3_REGION = region

    assert archive_hosts() == hosts
