"""The calendar bridge on home (README "Calendar bridge"): ``manage.py calendar_import`` and its nightly task
read biz's signed busy blocks from the directory, a URL or the bucket (moto's S3 server with IAM on), refuse
what does not verify and keep the last good blocks, with the refusal logged, audited and the age alert
growing; then "am I free …?" in English and Spanish, read-only."""

import io
import json
import logging
import os
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from alfred.bridge import BusyBlock, document_build, document_sign, key_pair_generate
from alfred.models import AuditEvent
from alfred.rules.when import when_span
from home_skills.bridge import REJECTED, STALE
from home_skills.models import CalendarBlock, CalendarBridge
from home_skills.selectors import member_zone
from tests.bridge_s3 import (  # noqa: F401  (bridge_bucket: a fixture)
    BUCKET,
    OBJECT,
    BridgeBucket,
    bridge_bucket,
    closed_port,
    manage,
    put_as_writer,
)
from tests.bridge_schedule import nightly_runs
from tests.home_skills.conftest import chat, tool_call

pytestmark = pytest.mark.home

ROOT = Path(__file__).resolve().parents[2]
MADRID = ZoneInfo("Europe/Madrid")
PRIVATE, PUBLIC = key_pair_generate()
OTHER_PRIVATE, _ = key_pair_generate()
METRICS_TOKEN = "test-calendar-metrics-token"


def in_two_days(hour: int, minute: int = 0) -> datetime:
    """A time the day after tomorrow in Madrid: inside every document's window, never in the past."""
    day = datetime.now(MADRID).date() + timedelta(days=2)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=MADRID)


GOOD_BLOCKS = [BusyBlock(in_two_days(10), in_two_days(12), tz="Europe/Madrid")]


def signed(blocks: list[BusyBlock] | None = None, *, age: timedelta = timedelta(hours=1), key: str = PRIVATE) -> bytes:
    """A document as biz writes it, generated ``age`` ago (negative: from the future)."""
    generated_at = timezone.now().replace(microsecond=0) - age
    blocks = GOOD_BLOCKS if blocks is None else blocks
    return document_sign(document_build(blocks=blocks, generated_at=generated_at, days=14), key)


def tampered() -> bytes:
    envelope = json.loads(signed())
    envelope["document"]["blocks"][0]["end"] = in_two_days(11).isoformat()  # "free from 11": a lie
    return json.dumps(envelope).encode()


# Each bad document, and the words the refusal gives for it.
BAD_DOCUMENTS = {
    "tampered": (tampered, "bad signature"),
    "wrong key": (lambda: signed(key=OTHER_PRIVATE), "bad signature"),
    "expired": (lambda: signed(age=timedelta(days=15)), "expired"),
    "future-dated": (lambda: signed(age=-timedelta(hours=1)), "future-dated"),
    "older than home's": (lambda: signed(age=timedelta(hours=3)), "older than the one home has"),
}


@pytest.fixture
def bridge_dir(tmp_path: Path, settings: Any) -> Path:
    """Home reading ``ALFRED_BRIDGE_DIR`` (the embedded default), with biz's public key."""
    settings.ALFRED_BRIDGE_URL = ""
    settings.ALFRED_BRIDGE_BUCKET = ""
    settings.ALFRED_BRIDGE_DIR = str(tmp_path)
    settings.ALFRED_BRIDGE_PUBLIC_KEY = PUBLIC
    settings.ALFRED_METRICS_TOKEN = METRICS_TOKEN
    settings.PROMETHEUS_MULTIPROC_DIR = ""
    return tmp_path


def publish(directory: Path, body: bytes) -> None:
    (directory / OBJECT).write_bytes(body)


def calendar_import() -> str:
    """``manage.py calendar_import`` in this process: its output, or ``CommandError`` (exit 1 from a shell)."""
    out = io.StringIO()
    call_command("calendar_import", stdout=out)
    return out.getvalue()


def blocks() -> list[tuple[datetime, datetime, bool]]:
    return [(b.start, b.end, b.all_day) for b in CalendarBlock.objects.order_by("start")]


GOOD = [(in_two_days(10), in_two_days(12), False)]


def bridge_age_metric() -> float:
    response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {METRICS_TOKEN}")
    assert response.status_code == 200
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            if sample.name == "alfred_calendar_bridge_age_seconds" and sample.labels.get("instance") == "home":
                return sample.value
    raise AssertionError("no alfred_calendar_bridge_age_seconds for home")


def audited(action: str) -> list[dict[str, Any]]:
    return [e.detail for e in AuditEvent.objects.filter(action=action).order_by("pk")]


# --- refusals, through the command ---------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("bad", list(BAD_DOCUMENTS))
def test_a_bad_document_is_refused_the_last_good_blocks_stay_and_the_refusal_is_logged_audited_and_aged(
    bad, bridge_dir, caplog
):
    publish(bridge_dir, signed())
    assert "1 busy block(s)" in calendar_import()
    good_state = CalendarBridge.objects.get()
    age_after_import = bridge_age_metric()
    assert 3590 < age_after_import < 3700

    make, reason = BAD_DOCUMENTS[bad]
    publish(bridge_dir, make())
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="home_skills.bridge"), pytest.raises(CommandError) as refused:
        calendar_import()

    assert reason in str(refused.value)
    assert "busy blocks kept: 1 hours old" in str(refused.value)
    assert audited(STALE) == []  # an hour old: no age alert
    assert blocks() == GOOD
    state = CalendarBridge.objects.get()
    assert (state.generated_at, state.imported_at) == (good_state.generated_at, good_state.imported_at)
    assert reason in state.last_error
    assert [d["reason"] for d in audited(REJECTED)] == [state.last_error]
    assert any(r.levelno == logging.WARNING and reason in r.getMessage() for r in caplog.records)
    # The age is the last good document's, still growing: a refused one, however new it says it is, resets nothing.
    assert age_after_import < bridge_age_metric() < 3700


@pytest.mark.django_db
def test_two_nights_without_a_good_document_raise_the_age_alert_which_grows_through_refusals_and_checks(
    bridge_dir, caplog
):
    from home_skills.tasks import calendar_bridge_check

    # The last good document biz managed to write, 51 hours ago (still inside its 14 days): two nights old.
    publish(bridge_dir, signed(age=timedelta(hours=51)))
    with caplog.at_level(logging.WARNING, logger="home_skills.bridge"):
        calendar_import()
    assert [round(d["age_hours"]) for d in audited(STALE)] == [51]
    assert any("calendar bridge stale: the busy blocks are 51 hours old" in r.getMessage() for r in caplog.records)
    at_import = bridge_age_metric()
    assert 51 * 3600 <= at_import < 51 * 3600 + 100

    # Tonight's document does not verify: refused, the old blocks kept, the alert raised again and older.
    publish(bridge_dir, tampered())
    with pytest.raises(CommandError, match="busy blocks kept: 51 hours old"):
        calendar_import()
    assert blocks() == GOOD
    at_refusal = bridge_age_metric()
    assert at_import < at_refusal
    assert len(audited(STALE)) == 2

    # The hourly beat task checks again: the metric keeps growing, the alert stays up.
    calendar_bridge_check.delay()
    assert at_refusal < bridge_age_metric()
    assert len(audited(STALE)) == 3


@pytest.mark.django_db
def test_before_the_first_good_document_the_age_is_infinite_and_the_alert_is_up(bridge_dir):
    from home_skills.tasks import calendar_bridge_check

    calendar_bridge_check.delay()

    assert bridge_age_metric() == float("inf")
    assert audited(STALE) == [{"age_hours": None}]


@pytest.mark.django_db
def test_stale_busy_blocks_are_answered_with_a_warning_in_both_languages(bridge_dir, family):
    publish(bridge_dir, signed(age=timedelta(hours=60)))
    calendar_import()

    en = tool_call(family["Ana"], "calendar_free", when="the day after tomorrow")
    es = tool_call(family["Ana"], "calendar_free", language="es", when="pasado mañana")

    assert "10:00–12:00" in en.text
    assert en.text.endswith("(My copy of the calendar is 2 days old, so it may have changed.)")
    assert es.text.endswith("(Mi copia del calendario tiene 2 días, así que puede haber cambiado.)")
    assert len(audited(STALE)) == 1


@pytest.mark.django_db
def test_an_unreachable_url_or_bucket_keeps_the_last_good_blocks_and_fails_with_a_clear_message(bridge_dir, settings):
    publish(bridge_dir, signed())
    calendar_import()
    port = closed_port()

    settings.ALFRED_BRIDGE_URL = f"http://127.0.0.1:{port}/{OBJECT}?X-Amz-Signature=secret-part"
    with pytest.raises(CommandError) as by_url:
        calendar_import()
    settings.ALFRED_BRIDGE_URL = ""
    settings.ALFRED_BRIDGE_BUCKET = BUCKET
    settings.ALFRED_BRIDGE_S3_ENDPOINT_URL = f"http://127.0.0.1:{port}"
    settings.ALFRED_BRIDGE_READER_ACCESS_KEY_ID = "AKIAHOMEREADER"
    settings.ALFRED_BRIDGE_READER_SECRET_ACCESS_KEY = "home-reader-secret"
    with pytest.raises(CommandError) as by_bucket:
        calendar_import()

    assert str(by_url.value) == (
        "calendar import refused: cannot reach 127.0.0.1: ConnectError (busy blocks kept: 1 hours old)"
    )
    assert str(by_bucket.value) == (
        "calendar import refused: cannot reach the bucket: EndpointConnectionError (busy blocks kept: 1 hours old)"
    )
    assert blocks() == GOOD
    reasons = " ".join(d["reason"] for d in audited(REJECTED))
    assert "secret-part" not in reasons and "home-reader-secret" not in reasons


def home_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A home process's environment from scratch: development mode on a throwaway SQLite file."""
    keep = {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "TZ") if name in os.environ}
    return {
        **keep,
        "INSTANCE": "home",
        "DJANGO_SETTINGS_MODULE": "settings.home",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'home.sqlite3'}",
        "DEBUG": "1",
        "ALFRED_BRIDGE_DIR": str(tmp_path),
        "ALFRED_BRIDGE_PUBLIC_KEY": PUBLIC,
        **extra,
    }


def home(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return manage("home", env, *args)


def test_from_a_shell_the_command_exits_non_zero_when_the_url_is_unreachable_and_names_what_it_kept(tmp_path):
    publish(tmp_path, signed())
    env = home_env(tmp_path)
    assert home(env, "migrate", "-v", "0").returncode == 0

    good = home(env, "calendar_import")
    unreachable = home({**env, "ALFRED_BRIDGE_URL": f"http://127.0.0.1:{closed_port()}/{OBJECT}"}, "calendar_import")

    assert good.returncode == 0, good.stderr
    assert unreachable.returncode == 1
    assert unreachable.stdout == ""
    assert (
        "calendar import refused: cannot reach 127.0.0.1: ConnectError (busy blocks kept: 1 hours old)"
        in unreachable.stderr
    )


# --- reading the bucket with home's own read-only key (moto, IAM on) --------------------------------------


def reader_settings(settings: Any, bucket: BridgeBucket) -> None:
    """Home's settings with a bucket, as settings/home.py reads them: the reader's key, nothing of biz's."""
    settings.ALFRED_BRIDGE_URL = ""
    settings.ALFRED_BRIDGE_BUCKET = BUCKET
    settings.ALFRED_BRIDGE_OBJECT = OBJECT
    settings.ALFRED_BRIDGE_S3_ENDPOINT_URL = bucket.endpoint
    settings.ALFRED_BRIDGE_S3_REGION = "us-east-1"
    settings.ALFRED_BRIDGE_READER_ACCESS_KEY_ID = bucket.reader.access_key
    settings.ALFRED_BRIDGE_READER_SECRET_ACCESS_KEY = bucket.reader.secret_key


@pytest.mark.django_db
def test_home_reads_the_bucket_with_its_read_only_key_refuses_a_tampered_object_and_cannot_write(
    bridge_dir,
    settings,
    bridge_bucket,  # noqa: F811
):
    from botocore.exceptions import ClientError

    reader_settings(settings, bridge_bucket)
    put_as_writer(bridge_bucket, signed())
    assert "1 busy block(s)" in calendar_import()
    assert blocks() == GOOD

    put_as_writer(bridge_bucket, tampered())
    with pytest.raises(CommandError, match="bad signature"):
        calendar_import()
    assert blocks() == GOOD

    reader = bridge_bucket.client(bridge_bucket.reader)
    for attempt in (
        lambda: reader.put_object(Bucket=BUCKET, Key=OBJECT, Body=signed()),  # type: ignore[attr-defined]
        lambda: reader.delete_object(Bucket=BUCKET, Key=OBJECT),  # type: ignore[attr-defined]
        lambda: reader.list_objects_v2(Bucket=BUCKET),  # type: ignore[attr-defined]
        lambda: reader.put_object(Bucket=BUCKET, Key="other.json", Body=b"{}"),  # type: ignore[attr-defined]
    ):
        with pytest.raises(ClientError, match="AccessDenied"):
            attempt()


@pytest.mark.django_db
def test_a_key_without_read_permission_is_refused_by_the_bucket_and_the_last_good_blocks_stay(
    bridge_dir,
    settings,
    bridge_bucket,  # noqa: F811
):
    """The bucket checks who reads: with the writer's put-only key in home's place the GET is refused."""
    reader_settings(settings, bridge_bucket)
    put_as_writer(bridge_bucket, signed())
    calendar_import()

    settings.ALFRED_BRIDGE_READER_ACCESS_KEY_ID = bridge_bucket.writer.access_key
    settings.ALFRED_BRIDGE_READER_SECRET_ACCESS_KEY = bridge_bucket.writer.secret_key
    with pytest.raises(CommandError) as refused:
        calendar_import()

    assert "the bucket refused the read: AccessDenied" in str(refused.value)
    assert blocks() == GOOD


@pytest.fixture
def document_url() -> Iterator[dict[str, bytes]]:
    """A plain HTTP server on loopback standing in for ``ALFRED_BRIDGE_URL`` (a CDN or public-read object):
    it serves what the test puts in the dict, by path; anything else is 404. (moto refuses presigned URLs
    once its IAM check is on, so the bucket tests sign their GET in the header instead.)"""
    served: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = served.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    served["base"] = f"http://127.0.0.1:{server.server_address[1]}".encode()
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.django_db
def test_home_reads_a_configured_url_and_refuses_what_it_serves_unsigned_or_missing(bridge_dir, settings, document_url):
    base = document_url["base"].decode()
    document_url["/bridge/busy-blocks.json"] = signed()
    settings.ALFRED_BRIDGE_URL = f"{base}/bridge/busy-blocks.json"
    assert "1 busy block(s)" in calendar_import()
    assert blocks() == GOOD

    document_url["/bridge/busy-blocks.json"] = tampered()
    with pytest.raises(CommandError, match="bad signature"):
        calendar_import()
    settings.ALFRED_BRIDGE_URL = f"{base}/gone.json"
    with pytest.raises(CommandError, match=r"127\.0\.0\.1 answered HTTP 404"):
        calendar_import()
    assert blocks() == GOOD


# --- the nightly schedule -------------------------------------------------------------------------------


def test_homes_beat_imports_at_three_madrid_time_and_schedules_no_export():
    from settings.celery import app

    runs = nightly_runs("home_skills.tasks.calendar_import")
    beat = app.conf.beat_schedule
    assert [f"{run.astimezone(MADRID):%Y-%m-%d %H:%M}" for run in runs] == [
        "2027-01-15 03:00",
        "2027-07-15 03:00",
        "2027-03-28 03:00",  # the clocks went forward at 02:00: still 03:00 on the wall
    ]
    assert [run.astimezone(UTC).hour for run in runs] == [2, 1, 1]
    # Home only reads: biz's export (or any biz task) is not on its schedule, and not a task it knows.
    assert [
        entry["task"] for entry in beat.values() if "export" in entry["task"] or "work_skills" in entry["task"]
    ] == []
    assert "work_skills.tasks.calendar_export" not in app.tasks


@pytest.mark.django_db
def test_the_scheduled_task_runs_the_commands_code(bridge_dir):
    from settings.celery import app

    app.loader.import_default_modules()  # what a worker does at start: the apps' tasks modules
    # The task as beat names it.
    task = app.tasks[next(e["task"] for e in app.conf.beat_schedule.values() if e["task"].endswith(".calendar_import"))]
    publish(bridge_dir, signed())
    task.delay()
    assert blocks() == GOOD
    assert [d["blocks"] for d in audited("bridge.import")] == [1]

    # A refusal does not fail the task (Celery would retry into the same refusal): refused, kept, audited.
    publish(bridge_dir, tampered())
    task.delay()
    assert blocks() == GOOD
    assert ["bad signature" in d["reason"] for d in audited(REJECTED)] == [True]


# --- "am I free …?", English and Spanish, through the chat ---------------------------------------------

# Where each kind of span gets its one busy hour (local time): the morning of a day, a weekend or a week,
# mid-afternoon of a part of a day, the moment itself.
BUSY_HOUR = {"day": 10, "weekend": 10, "week": 10, "part": 14}


def busy_hour_in(when: str, zone: ZoneInfo) -> datetime:
    span = when_span(when, now=datetime.now(zone))
    assert span is not None, when
    if span.kind == "moment":
        return span.start
    day = span.day
    return datetime(day.year, day.month, day.day, BUSY_HOUR[span.kind], tzinfo=zone)


def bridge_holds(*hours: datetime) -> None:
    """Busy blocks as a good import leaves them (one hour each), from a document generated an hour ago."""
    CalendarBlock.objects.bulk_create(
        CalendarBlock(start=start, end=start + timedelta(hours=1), tz="Europe/Madrid") for start in hours
    )
    CalendarBridge.objects.create(generated_at=timezone.now() - timedelta(hours=1), imported_at=timezone.now())


@pytest.mark.parametrize(
    ("question", "when", "tool", "lead"),
    [
        ("am I free on Saturday?", "on saturday", "calendar_free", "work things"),
        ("am I free tomorrow afternoon?", "tomorrow afternoon", "calendar_free", "work things"),
        ("am I free this weekend?", "this weekend", "calendar_free", "work things"),
        ("what do I have next week?", "next week", "calendar_busy", "work things"),
        ("am I free at 5pm on Friday?", "at 5pm on friday", "calendar_free", "No — you have work things"),
        ("do I have anything the day after tomorrow?", "the day after tomorrow", "calendar_busy", "work things"),
        ("¿estoy libre el sábado?", "el sabado", "calendar_free", "cosas del trabajo"),
        ("¿estoy libre mañana por la tarde?", "manana por la tarde", "calendar_free", "cosas del trabajo"),
        ("¿tengo algo el finde?", "el finde", "calendar_busy", "cosas del trabajo"),
        ("¿qué tengo pasado mañana?", "pasado manana", "calendar_busy", "cosas del trabajo"),
        ("¿estoy libre el viernes a las 5 de la tarde?", "el viernes a las 5 de la tarde", "calendar_free", "No:"),
        ("¿qué tengo la semana que viene?", "la semana que viene", "calendar_busy", "cosas del trabajo"),
    ],
)
def test_calendar_questions_in_english_and_spanish_are_answered_from_the_busy_blocks_in_the_members_zone(
    transactional_family, question, when, tool, lead
):
    ana = transactional_family["Ana"]
    zone = member_zone(ana)
    start = busy_hour_in(when, zone)
    bridge_holds(start)

    answered = chat(question, sender="Ana")

    assert answered["path"] == "rules"
    assert [(a["tool"], a["args"]) for a in answered["actions"]] == [(tool, {"when": when})]
    assert lead in answered["reply"]
    assert f"{start:%H:%M}–{start + timedelta(hours=1):%H:%M}" in answered["reply"]
    other_language = "cosas del trabajo" if "work things" in lead else "work things"
    assert other_language not in answered["reply"]


@pytest.mark.parametrize(
    ("question", "reply"),
    [
        ("am I free tomorrow morning?", "Yes — you're free"),
        ("¿estoy libre mañana por la mañana?", "Sí, estás libre"),
    ],
)
def test_a_span_without_busy_blocks_is_free(transactional_family, question, reply):
    bridge_holds(busy_hour_in("tomorrow afternoon", member_zone(transactional_family["Ana"])))

    answered = chat(question, sender="Ana")

    assert answered["reply"].startswith(reply)
    assert answered["actions"][0]["tool"] == "calendar_free"


@pytest.mark.parametrize(
    ("request_text", "reply"),
    [
        ("add the school play to my calendar", "I can only see when you're busy — I can't add, move or cancel events."),
        ("move my meeting on Saturday to 5pm", "I can only see when you're busy — I can't add, move or cancel events."),
        ("añade la función del colegio a mi calendario", "Solo veo cuándo estás ocupado: no puedo añadir"),
        ("cancela mi reunión del sábado", "Solo veo cuándo estás ocupado: no puedo añadir"),
    ],
)
def test_a_request_to_add_move_or_cancel_an_event_is_answered_read_only_and_writes_nothing(
    transactional_family, request_text, reply
):
    bridge_holds(busy_hour_in("on saturday", member_zone(transactional_family["Ana"])))
    before = (blocks(), list(CalendarBridge.objects.values()))

    answered = chat(request_text, sender="Ana")

    assert answered["reply"].startswith(reply)
    assert [a["tool"] for a in answered["actions"]] == ["out_of_scope"]
    assert (blocks(), list(CalendarBridge.objects.values())) == before
    assert not AuditEvent.objects.filter(action__startswith="tool.write").exists()


@pytest.mark.django_db
def test_busy_blocks_either_side_of_a_dst_change_are_imported_and_read_back_at_their_wall_clock_time(bridge_dir):
    """Madrid leaves summer time on Sunday 25 October 2026: a 10:00 meeting on Saturday and one on Sunday are
    an hour apart in UTC and both 10:00 to the member."""
    from home_skills.bridge import calendar_import as bridge_import
    from home_skills.skills.calendar import busy_in

    generated_at = datetime(2026, 10, 20, 22, 0, tzinfo=UTC)
    saturday, sunday = datetime(2026, 10, 24, 10, tzinfo=MADRID), datetime(2026, 10, 25, 10, tzinfo=MADRID)
    document = document_build(
        blocks=[BusyBlock(day, day + timedelta(hours=1), tz="Europe/Madrid") for day in (saturday, sunday)],
        generated_at=generated_at,
        days=14,
    )
    publish(bridge_dir, document_sign(document, PRIVATE))
    # The command's code on the night after the export (the command itself reads today's clock).
    assert bridge_import(now=generated_at + timedelta(hours=5)).ok

    assert [b.start.astimezone(UTC).hour for b in CalendarBlock.objects.order_by("start")] == [8, 9]
    weekend = when_span("this weekend", now=datetime(2026, 10, 21, 10, tzinfo=MADRID))
    assert weekend is not None
    assert [(f"{s:%a %H:%M}", f"{e:%H:%M}") for s, e, _ in busy_in(weekend)] == [
        ("Sat 10:00", "11:00"),
        ("Sun 10:00", "11:00"),
    ]


@pytest.mark.django_db
def test_the_calendar_tools_are_the_only_calendar_tools_and_they_write_nothing(bridge_dir, family):
    """What a tool did to the database, counted around the tool alone (the message it answers is set up
    before, as the brain has it)."""
    from django.utils import translation

    from alfred.audit import database_writes
    from alfred.members import conversation_for
    from alfred.models import Direction, Message, Status
    from alfred.registry import ToolContext, get_registry

    ana = family["Ana"]
    bridge_holds(busy_hour_in("on saturday", member_zone(ana)))
    conversation = conversation_for(channel="console", external_id=f"console:{ana.pk}", member=ana)
    message = Message.objects.create(
        direction=Direction.INBOUND,
        channel="console",
        provider_message_id="calendar-write-check",
        conversation=conversation,
        sender=ana,
        text="am I free on Saturday?",
        status=Status.HANDLING,
    )
    registry = get_registry()
    texts = []
    with database_writes() as writes:
        for name, language, when in (("calendar_free", "en", "on saturday"), ("calendar_busy", "es", "el sábado")):
            found = registry.tools[name]
            ctx = ToolContext(member=ana, conversation=conversation, message=message, language=language)
            with translation.override(language):
                texts.append(found.call(ctx, found.arguments.model_validate({"when": when})).text)

    assert all("10:00–11:00" in text for text in texts), texts
    assert writes.statements == 0
    assert sorted(name for name in registry.tools if "calendar" in name) == ["calendar_busy", "calendar_free"]
