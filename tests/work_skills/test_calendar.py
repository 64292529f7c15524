"""The calendar bridge on biz: ICS feeds and admin events → busy blocks → a signed document in the bucket;
then the whole way to home, in home's own processes, and "am I free on Saturday?" in both languages."""

import json
import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from alfred.bridge import document_verify, key_pair_generate
from alfred.models import AuditEvent
from tests.bridge_s3 import BUCKET, OBJECT, BridgeBucket, bridge_bucket, closed_port, manage  # noqa: F401  (a fixture)
from tests.bridge_schedule import nightly_runs
from work_skills.calendar import calendar_export, calendar_occurrences
from work_skills.models import CalendarEvent

pytestmark = pytest.mark.biz

ROOT = Path(__file__).resolve().parents[2]
MADRID = ZoneInfo("Europe/Madrid")
PRIVATE, PUBLIC = key_pair_generate()
# Tuesday 20 October 2026; Madrid leaves summer time on Sunday the 25th, inside the 14 days.
EXPORT_AT = datetime(2026, 10, 20, 0, 0, tzinfo=UTC)

FEED = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Alfred tests//EN
BEGIN:VTIMEZONE
TZID:Europe/Madrid
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
BEGIN:VEVENT
UID:standup-7f3a@acme.example
SUMMARY:Standup with the Acme team
LOCATION:Room Barceloneta
DESCRIPTION:Board numbers, confidential
ATTENDEE;CN=Jane Roe:mailto:jane.roe@acme.example
DTSTART;TZID=Europe/Madrid:20261005T100000
DTEND;TZID=Europe/Madrid:20261005T103000
RRULE:FREQ=WEEKLY;BYDAY=MO,WE
EXDATE;TZID=Europe/Madrid:20261021T100000
END:VEVENT
BEGIN:VEVENT
UID:standup-7f3a@acme.example
RECURRENCE-ID;TZID=Europe/Madrid:20261028T100000
SUMMARY:Standup moved for the audit
DTSTART;TZID=Europe/Madrid:20261029T150000
DTEND;TZID=Europe/Madrid:20261029T153000
END:VEVENT
BEGIN:VEVENT
UID:offsite-99@acme.example
SUMMARY:Offsite
LOCATION:Hotel Alfonso XIII, Sevilla
DTSTART;VALUE=DATE:20261030
DTEND;VALUE=DATE:20261031
END:VEVENT
BEGIN:VEVENT
UID:dinner-1@acme.example
SUMMARY:Dinner with the investor
DTSTART;TZID=Europe/Madrid:20261023T180000
DTEND;TZID=Europe/Madrid:20261023T190000
END:VEVENT
BEGIN:VEVENT
UID:focus-2@acme.example
SUMMARY:Focus time
TRANSP:TRANSPARENT
DTSTART;TZID=Europe/Madrid:20261022T090000
DTEND;TZID=Europe/Madrid:20261022T100000
END:VEVENT
END:VCALENDAR
"""
SECRETS_OF_THE_FEED = [
    "Standup",
    "Acme",
    "Barceloneta",
    "confidential",
    "Jane",
    "jane.roe@acme.example",
    "audit",
    "Offsite",
    "Sevilla",
    "investor",
    "Focus",
    "standup-7f3a",
    "offsite-99",
    "dinner-1",
    "Call with the lawyer",
    "Notary office",
]


@pytest.fixture
def feed(tmp_path: Path, settings: Any) -> Path:
    path = tmp_path / "work.ics"
    path.write_text(FEED)
    settings.ALFRED_CALENDAR_ICS_URLS = [str(path)]
    settings.ALFRED_BRIDGE_SIGNING_KEY = PRIVATE
    return path


@pytest.fixture
def local_bridge(tmp_path: Path, settings: Any) -> Path:
    directory = tmp_path / "bridge"
    settings.STORAGES = {
        **settings.STORAGES,
        "bridge": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(directory), "allow_overwrite": True},
        },
    }
    return directory


def writer_storage(settings: Any, bucket: BridgeBucket) -> None:
    """The "bridge" storage as settings/biz.py builds it with a bucket, with the writer's key."""
    settings.STORAGES = {
        **settings.STORAGES,
        "bridge": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": bucket.endpoint,
                "region_name": "us-east-1",
                "access_key": bucket.writer.access_key,
                "secret_key": bucket.writer.secret_key,
                "file_overwrite": True,
                "object_parameters": {"ContentType": "application/json", "CacheControl": "no-cache"},
            },
        },
    }
    settings.ALFRED_BRIDGE_OBJECT = OBJECT


def local(block: dict[str, Any]) -> tuple[str, str, bool]:
    return block["start"], block["end"], block["all_day"]


@pytest.mark.django_db
def test_recurrences_exceptions_moves_all_day_events_and_a_dst_change_become_the_right_busy_blocks(feed, local_bridge):
    CalendarEvent.objects.create(
        title="Call with the lawyer",
        location="Notary office",
        start=datetime(2026, 10, 27, 12, 0, tzinfo=MADRID),
        end=datetime(2026, 10, 27, 13, 0, tzinfo=MADRID),
    )

    report = calendar_export(now=EXPORT_AT)

    raw = (local_bridge / "busy-blocks.json").read_bytes()
    blocks = [local(b) for b in json.loads(raw)["document"]["blocks"]]
    assert blocks == [
        # 21 Oct (Wednesday) is an EXDATE: gone. "Focus time" on the 22nd is transparent: not busy.
        ("2026-10-23T18:00:00+02:00", "2026-10-23T19:00:00+02:00", False),  # summer time
        ("2026-10-26T10:00:00+01:00", "2026-10-26T10:30:00+01:00", False),  # winter time: still 10:00 local
        ("2026-10-27T12:00:00+01:00", "2026-10-27T13:00:00+01:00", False),  # the admin's event
        # 28 Oct moved to the 29th at 15:00 (RECURRENCE-ID): one block, at the new time.
        ("2026-10-29T15:00:00+01:00", "2026-10-29T15:30:00+01:00", False),
        ("2026-10-30", "2026-10-31", True),
        ("2026-11-02T10:00:00+01:00", "2026-11-02T10:30:00+01:00", False),
    ]
    assert report.blocks == 6
    assert document_verify(raw, PUBLIC, now=EXPORT_AT).generated_at == EXPORT_AT
    assert AuditEvent.objects.filter(action="bridge.export", detail__blocks=6).exists()


@pytest.mark.django_db
def test_the_exported_document_holds_no_title_attendee_location_description_or_uid(feed, local_bridge):
    CalendarEvent.objects.create(
        title="Call with the lawyer",
        location="Notary office",
        notes="about Jane",
        start=datetime(2026, 10, 27, 12, 0, tzinfo=MADRID),
        end=datetime(2026, 10, 27, 13, 0, tzinfo=MADRID),
    )
    calendar_export(now=EXPORT_AT)

    text = (local_bridge / "busy-blocks.json").read_text()
    assert [word for word in SECRETS_OF_THE_FEED if word.lower() in text.lower()] == []
    # The same feed does carry them, so the grep can find them: biz's own agenda shows the titles.
    titles = [o.title for o in calendar_occurrences(start=EXPORT_AT, end=EXPORT_AT + timedelta(days=14))]
    assert "Standup moved for the audit" in titles
    assert "Call with the lawyer" in titles


@pytest.mark.django_db
def test_the_writer_puts_the_document_and_may_not_read_it_back(feed, settings, bridge_bucket):  # noqa: F811
    writer_storage(settings, bridge_bucket)

    calendar_export(now=EXPORT_AT)

    from botocore.exceptions import ClientError

    with pytest.raises(ClientError, match="AccessDenied"):
        bridge_bucket.client(bridge_bucket.writer).get_object(Bucket=BUCKET, Key=OBJECT)  # type: ignore[attr-defined]
    body = bridge_bucket.client(bridge_bucket.reader).get_object(Bucket=BUCKET, Key=OBJECT)["Body"].read()  # type: ignore[attr-defined]
    assert len(document_verify(body, PUBLIC, now=EXPORT_AT).blocks) == 5


@pytest.mark.django_db
def test_bridge_keys_prints_two_env_lines(capsys):
    call_command("bridge_keys")
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("=", 1)[0] for line in lines] == ["ALFRED_BRIDGE_SIGNING_KEY", "ALFRED_BRIDGE_PUBLIC_KEY"]
    from alfred.bridge import public_key_of

    assert public_key_of(lines[0].split("=", 1)[1]) == lines[1].split("=", 1)[1]


@pytest.mark.django_db(transaction=True)
def test_biz_answers_what_is_on_its_calendar_with_titles(feed, member):
    from tests.work_skills.conftest import chat

    tomorrow = datetime.now(MADRID).date() + timedelta(days=1)
    CalendarEvent.objects.create(
        title="Lunch with Hank",
        start=datetime.combine(tomorrow, datetime.min.time(), tzinfo=MADRID) + timedelta(hours=13),
        end=datetime.combine(tomorrow, datetime.min.time(), tzinfo=MADRID) + timedelta(hours=14),
    )
    reply = chat("what's on my calendar tomorrow?", sender=member.name)["reply"]
    assert "13:00–14:00 — Lunch with Hank" in reply


def next_saturday_phrase() -> tuple[datetime, str, str]:
    today = datetime.now(MADRID).date()
    ahead = (5 - today.weekday()) % 7
    if ahead == 0:  # today is Saturday: the morning may be over, ask about the next one
        return (
            datetime.combine(today + timedelta(days=7), datetime.min.time(), tzinfo=MADRID),
            "next Saturday",
            "el sábado que viene",
        )
    return (
        datetime.combine(today + timedelta(days=ahead), datetime.min.time(), tzinfo=MADRID),
        "on Saturday",
        "el sábado",
    )


def home_env(tmp_path: Path, bucket: BridgeBucket, **extra: str) -> dict[str, str]:
    """A home process's environment, built from scratch: none of this biz test process's variables."""
    keep = {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "TZ") if name in os.environ}
    return {
        **keep,
        "INSTANCE": "home",
        "DJANGO_SETTINGS_MODULE": "settings.home",
        # Development mode on a throwaway SQLite file: the home instance as `make chat` runs it.
        "DATABASE_URL": f"sqlite:///{tmp_path / 'home.sqlite3'}",
        "DEBUG": "1",
        "ALFRED_BRIDGE_BUCKET": BUCKET,
        "ALFRED_BRIDGE_OBJECT": OBJECT,
        "ALFRED_BRIDGE_S3_ENDPOINT_URL": bucket.endpoint,
        "ALFRED_BRIDGE_S3_REGION": "us-east-1",
        "ALFRED_BRIDGE_READER_ACCESS_KEY_ID": bucket.reader.access_key,
        "ALFRED_BRIDGE_READER_SECRET_ACCESS_KEY": bucket.reader.secret_key,
        "ALFRED_BRIDGE_PUBLIC_KEY": PUBLIC,
        **extra,
    }


def home(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return manage("home", env, *args)


@pytest.mark.django_db
def test_the_whole_way_ics_to_biz_export_to_bucket_to_home_import_to_am_i_free_on_saturday(
    tmp_path,
    settings,
    bridge_bucket,  # noqa: F811
):
    saturday, english, spanish = next_saturday_phrase()
    path = tmp_path / "work.ics"
    path.write_text(
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//EN\nBEGIN:VEVENT\nUID:board-1@acme.example\n"
        "SUMMARY:Board meeting\nLOCATION:Acme HQ\n"
        f"DTSTART;TZID=Europe/Madrid:{saturday:%Y%m%d}T100000\nDTEND;TZID=Europe/Madrid:{saturday:%Y%m%d}T120000\n"
        "END:VEVENT\nEND:VCALENDAR\n"
    )
    settings.ALFRED_CALENDAR_ICS_URLS = [str(path)]
    settings.ALFRED_BRIDGE_SIGNING_KEY = PRIVATE
    writer_storage(settings, bridge_bucket)
    call_command("calendar_export")

    env = home_env(tmp_path, bridge_bucket)
    assert home(env, "chat", "--setup", "--json", "ping").returncode == 0
    imported = home(env, "calendar_import")
    assert imported.returncode == 0, imported.stderr
    assert "1 busy block(s)" in imported.stdout

    answers = {}
    for phrase in (f"am I free {english}?", f"¿estoy libre {spanish}?"):
        done = home(env, "chat", "--sender", "Ana", "--json", phrase)
        assert done.returncode == 0, done.stderr
        answers[phrase] = json.loads(done.stdout.strip().splitlines()[-1])
    en, es = answers.values()
    assert en["path"] == "rules"
    assert en["actions"][0]["tool"] == "calendar_free"
    assert en["reply"].startswith("You have work things 10:00–12:00 on Saturday; free before 10:00 and after 12:00")
    assert es["reply"].startswith("Tienes cosas del trabajo 10:00–12:00 el sábado; libre antes de las 10:00")
    assert "Board" not in en["reply"] + es["reply"]


def test_home_refuses_to_start_with_a_biz_credential_in_its_environment_and_names_it_not_its_value(
    tmp_path,
    bridge_bucket,  # noqa: F811
):
    env = home_env(
        tmp_path,
        bridge_bucket,
        ALFRED_BRIDGE_SIGNING_KEY=PRIVATE,
        ALFRED_BRIDGE_WRITER_SECRET_ACCESS_KEY=bridge_bucket.writer.secret_key,
    )
    refused = home(env, "calendar_import")
    assert refused.returncode != 0
    assert "ALFRED_BRIDGE_SIGNING_KEY" in refused.stderr
    assert "ALFRED_BRIDGE_WRITER_SECRET_ACCESS_KEY" in refused.stderr
    assert PRIVATE not in refused.stderr + refused.stdout
    assert bridge_bucket.writer.secret_key not in refused.stderr + refused.stdout


def test_homes_settings_hold_no_biz_key_or_writer_credential(tmp_path, bridge_bucket):  # noqa: F811
    """Every setting of a home process, printed: the reader's key is there, nothing of biz's."""
    env = home_env(tmp_path, bridge_bucket)
    printed = home(env, "diffsettings", "--all")
    assert printed.returncode == 0, printed.stderr
    assert bridge_bucket.reader.access_key in printed.stdout  # the dump does show credentials
    defined = [line.split(" = ")[0] for line in printed.stdout.splitlines()]
    # The names appear only in the table of foreign variables (ALFRED_APP_ENV_VARS), never as settings.
    for name in ("ALFRED_BRIDGE_SIGNING_KEY", "ALFRED_BRIDGE_WRITER_", "ALFRED_CALENDAR_ICS_URLS"):
        assert [d for d in defined if d.startswith(name)] == []
    for value in (PRIVATE, bridge_bucket.writer.access_key, bridge_bucket.writer.secret_key):
        assert value not in printed.stdout


def test_bizs_beat_exports_at_two_madrid_time_and_schedules_no_import():
    from settings.celery import app

    runs = nightly_runs("work_skills.tasks.calendar_export")
    beat = app.conf.beat_schedule
    assert [f"{run.astimezone(MADRID):%Y-%m-%d %H:%M}" for run in runs] == [
        "2027-01-15 02:00",
        "2027-07-15 02:00",
        "2027-03-28 03:00",  # 02:00 does not exist that night: the clocks jump from 02:00 to 03:00
    ]
    assert [run.astimezone(UTC).hour for run in runs] == [1, 0, 1]
    # Biz only writes: home's import and age check are not on its schedule, nor tasks it knows.
    assert [
        entry["task"] for entry in beat.values() if "home_skills" in entry["task"] or "import" in entry["task"]
    ] == []
    assert "home_skills.tasks.calendar_import" not in app.tasks


@pytest.mark.django_db
def test_the_scheduled_export_runs_the_commands_code(feed, local_bridge):
    from settings.celery import app

    app.loader.import_default_modules()
    # The task as beat names it, run as a worker would (eagerly here: TASKS_INLINE).
    task = app.tasks[next(e["task"] for e in app.conf.beat_schedule.values() if e["task"].endswith(".calendar_export"))]
    task.delay()

    raw = (local_bridge / "busy-blocks.json").read_bytes()
    verified = document_verify(raw, PUBLIC, now=datetime.now(UTC))
    assert (datetime.now(UTC) - verified.generated_at) < timedelta(minutes=1)
    assert AuditEvent.objects.filter(action="bridge.export").count() == 1


def biz_env(tmp_path: Path, bucket: BridgeBucket, **extra: str) -> dict[str, str]:
    """A biz process's environment from scratch (development mode on a throwaway SQLite file), with the
    bucket and the writer's key as an operator sets them: settings/biz.py builds the storage itself."""
    keep = {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "TZ") if name in os.environ}
    return {
        **keep,
        "INSTANCE": "biz",
        "DJANGO_SETTINGS_MODULE": "settings.biz",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'biz.sqlite3'}",
        "DEBUG": "1",
        "ALFRED_BRIDGE_BUCKET": BUCKET,
        "ALFRED_BRIDGE_OBJECT": OBJECT,
        "ALFRED_BRIDGE_S3_ENDPOINT_URL": bucket.endpoint,
        "ALFRED_BRIDGE_S3_REGION": "us-east-1",
        "ALFRED_BRIDGE_WRITER_ACCESS_KEY_ID": bucket.writer.access_key,
        "ALFRED_BRIDGE_WRITER_SECRET_ACCESS_KEY": bucket.writer.secret_key,
        "ALFRED_BRIDGE_SIGNING_KEY": PRIVATE,
        **extra,
    }


def biz(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return manage("biz", env, *args)


def test_a_biz_process_configured_by_its_environment_exports_to_the_bucket_and_fails_loudly_when_it_cannot(
    tmp_path,
    bridge_bucket,  # noqa: F811
):
    path = tmp_path / "work.ics"
    path.write_text(FEED)
    env = biz_env(tmp_path, bridge_bucket, ALFRED_CALENDAR_ICS_URLS=str(path))
    assert biz(env, "migrate", "-v", "0").returncode == 0

    exported = biz(env, "calendar_export")
    unreachable = biz({**env, "ALFRED_BRIDGE_S3_ENDPOINT_URL": f"http://127.0.0.1:{closed_port()}"}, "calendar_export")

    assert exported.returncode == 0, exported.stderr
    assert "written to busy-blocks.json" in exported.stdout
    body = bridge_bucket.client(bridge_bucket.reader).get_object(Bucket=BUCKET, Key=OBJECT)["Body"].read()  # type: ignore[attr-defined]
    assert document_verify(body, PUBLIC, now=datetime.now(UTC)).generated_at > datetime.now(UTC) - timedelta(minutes=5)
    assert unreachable.returncode == 1
    assert "calendar export failed: could not write busy-blocks.json: EndpointConnectionError" in unreachable.stderr
    assert bridge_bucket.writer.secret_key not in unreachable.stderr + unreachable.stdout
