"""The owner's work calendar on biz, and the bridge export: its busy blocks, signed, out to home.

Events come from the ICS feeds in ``ALFRED_CALENDAR_ICS_URLS`` (URLs or file paths) and from the admin
(``CalendarEvent``). ``icalendar`` parses the feeds and ``recurring-ical-events`` expands them over a window,
which gets recurrences, EXDATE, moved occurrences (RECURRENCE-ID), all-day events and time zones — DST
changes included — right.

``calendar_export`` writes the document of ``alfred.bridge`` through the storage named ``bridge`` (S3 with a
write-only key, or ``ALFRED_BRIDGE_DIR``): busy blocks only, never a title, attendee, location or UID.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.utils import timezone

from alfred.audit import audit_record
from alfred.bridge import BusyBlock, document_build, document_sign
from work_skills.models import CalendarEvent

logger = logging.getLogger(__name__)

BRIDGE_STORAGE = "bridge"


class CalendarError(Exception):
    """A feed that cannot be read, or an export that cannot be written: nothing is exported."""


@dataclass(frozen=True)
class Occurrence:
    """One event on one day, as biz sees it (titles included: it is biz's own data)."""

    title: str
    start: datetime
    end: datetime
    all_day: bool
    tz: str
    busy: bool = True


def biz_setting(name: str) -> Any:
    """A setting only settings/biz.py defines (the signing key, the feeds): home's settings never hold them,
    and mypy runs under settings.home, so they are read by name."""
    return getattr(settings, name)


def owner_zone() -> ZoneInfo:
    return ZoneInfo(settings.ALFRED_DEFAULT_TIMEZONE)


def feed_read(source: str) -> bytes:
    """One ICS feed's bytes: an http(s) URL, or a file path."""
    if urlsplit(source).scheme in ("http", "https"):
        import httpx

        try:
            response = httpx.get(source, timeout=biz_setting("ALFRED_CALENDAR_FETCH_TIMEOUT"), follow_redirects=True)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            # The host only: a feed URL often carries its own secret token in the path.
            raise CalendarError(f"calendar feed on {urlsplit(source).hostname}: {type(exc).__name__}") from exc
        return response.content
    try:
        return Path(source).read_bytes()
    except OSError as exc:
        raise CalendarError(f"calendar file {source}: {exc.strerror}") from exc


def _moment(value: date | datetime, zone: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        # A floating time (no TZID) is the owner's wall clock.
        return value if value.tzinfo is not None else value.replace(tzinfo=zone)
    return datetime.combine(value, time(0), tzinfo=zone)


def feed_occurrences(raw: bytes, *, start: datetime, end: datetime) -> list[Occurrence]:
    import icalendar
    import recurring_ical_events

    zone = owner_zone()
    try:
        calendar = icalendar.Calendar.from_ical(raw)
        events = recurring_ical_events.of(calendar).between(start, end)
    except Exception as exc:  # a malformed feed fails in many ways inside both libraries
        raise CalendarError(f"calendar feed cannot be read: {type(exc).__name__}") from exc
    found = []
    for event in events:
        if str(event.get("STATUS", "")).upper() == "CANCELLED":
            continue
        first, last = event.decoded("DTSTART"), event.decoded("DTEND", None)
        all_day = not isinstance(first, datetime)
        if last is None:
            duration = event.decoded("DURATION", None)
            last = first + (duration if duration is not None else timedelta(days=1) if all_day else timedelta(0))
        # The event's own zone when it has a named one (a UTC or floating time: the owner's).
        tz = zone.key if all_day else getattr(first.tzinfo, "key", None) or zone.key
        found.append(
            Occurrence(
                title=str(event.get("SUMMARY", "")),
                start=_moment(first, zone),
                end=_moment(last, zone),
                all_day=all_day,
                tz=tz,
                busy=str(event.get("TRANSP", "OPAQUE")).upper() != "TRANSPARENT",
            )
        )
    return found


def admin_occurrences(*, start: datetime, end: datetime) -> list[Occurrence]:
    zone = owner_zone()
    found = []
    for event in CalendarEvent.objects.filter(start__lt=end, end__gte=start):
        if event.all_day:
            first = datetime.combine(event.start.astimezone(zone).date(), time(0), tzinfo=zone)
            last = datetime.combine(event.end.astimezone(zone).date() + timedelta(days=1), time(0), tzinfo=zone)
        else:
            first, last = event.start, event.end
        found.append(
            Occurrence(title=event.title, start=first, end=last, all_day=event.all_day, tz=zone.key, busy=event.busy)
        )
    return found


def calendar_occurrences(*, start: datetime, end: datetime) -> list[Occurrence]:
    """Every occurrence touching [start, end), from the feeds and the admin, in start order."""
    found = admin_occurrences(start=start, end=end)
    for source in biz_setting("ALFRED_CALENDAR_ICS_URLS"):
        found += feed_occurrences(feed_read(source), start=start, end=end)
    return sorted(
        (o for o in found if o.end > start and o.start < end and o.end >= o.start), key=lambda o: (o.start, o.end)
    )


def busy_blocks(occurrences: list[Occurrence]) -> list[BusyBlock]:
    # A zero-length event (a deadline marker) makes no one busy.
    return [
        BusyBlock(start=o.start, end=o.end, all_day=o.all_day, tz=o.tz)
        for o in occurrences
        if o.busy and o.end > o.start
    ]


@dataclass
class ExportReport:
    name: str
    blocks: int
    generated_at: datetime


def calendar_export(*, now: datetime | None = None) -> ExportReport:
    """Write tonight's document; raises ``CalendarError`` (and writes nothing) when a feed or the key fails."""
    from alfred.bridge import BridgeRejected

    now = (now or timezone.now()).replace(microsecond=0)
    days = biz_setting("ALFRED_CALENDAR_EXPORT_DAYS")
    if not biz_setting("ALFRED_BRIDGE_SIGNING_KEY"):
        raise CalendarError("ALFRED_BRIDGE_SIGNING_KEY is not set (python manage.py bridge_keys makes a pair)")
    occurrences = calendar_occurrences(start=now, end=now + timedelta(days=days))
    document = document_build(blocks=busy_blocks(occurrences), generated_at=now, days=days)
    try:
        body = document_sign(document, biz_setting("ALFRED_BRIDGE_SIGNING_KEY"))
    except BridgeRejected as exc:
        raise CalendarError(str(exc)) from exc
    try:
        name = storages[BRIDGE_STORAGE].save(settings.ALFRED_BRIDGE_OBJECT, ContentFile(body))
    except Exception as exc:  # boto3, network and disk errors alike
        raise CalendarError(f"could not write {settings.ALFRED_BRIDGE_OBJECT}: {type(exc).__name__}") from exc
    count = len(document["blocks"])
    audit_record("bridge.export", actor="system", target=f"bridge:{name}", blocks=count)
    logger.info("calendar export: %s busy block(s) for %s days written to %s", count, days, name)
    return ExportReport(name=name, blocks=count, generated_at=now)


def bridge_hosts() -> list[str]:
    """The hosts the export connects to, for the egress guard: the bucket's, and each ICS feed's."""
    hosts = [urlsplit(url).hostname or "" for url in biz_setting("ALFRED_CALENDAR_ICS_URLS") if "://" in url]
    bucket = settings.ALFRED_BRIDGE_BUCKET
    if bucket:
        if settings.ALFRED_BRIDGE_S3_ENDPOINT_URL:
            hosts.append(urlsplit(settings.ALFRED_BRIDGE_S3_ENDPOINT_URL).hostname or "")
        else:
            region = settings.ALFRED_BRIDGE_S3_REGION or "us-east-1"
            hosts += [f"{bucket}.s3.{region}.amazonaws.com", f"{bucket}.s3.amazonaws.com", f"s3.{region}.amazonaws.com"]
    return sorted({host for host in hosts if host})


def agenda(*, day: date) -> list[Occurrence]:
    """The owner's events on ``day`` (owner's time zone), titles included: biz's own view."""
    zone = owner_zone()
    start = datetime.combine(day, time(0), tzinfo=zone)
    return calendar_occurrences(start=start, end=start + timedelta(days=1))
