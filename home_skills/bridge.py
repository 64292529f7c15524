"""The calendar bridge on home: fetch biz's signed busy-blocks document, verify it, keep the last good one.

Home reads with its own read-only access — a GET signed with a key that may only get the one object, a
configured URL, or ``ALFRED_BRIDGE_DIR`` — and believes the document only if biz's public key
(``ALFRED_BRIDGE_PUBLIC_KEY``) verifies it, it is newer than what home has, and it is neither expired nor
from the future (``alfred.bridge.document_verify``). Anything else changes nothing: the last good blocks
stay, the refusal is logged and audited, and the age alert fires once they are older than two nights.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from alfred.audit import audit_record
from alfred.bridge import BridgeRejected, document_verify
from home_skills.models import CalendarBlock, CalendarBridge

logger = logging.getLogger(__name__)

IMPORTED = "bridge.import"
REJECTED = "bridge.rejected"
STALE = "bridge.stale"
# Largest document home reads: 14 days of merged blocks are a few kilobytes.
MAX_BYTES = 1024 * 1024


def bridge_hosts() -> list[str]:
    """The hosts home must reach for the bridge, for the egress guard's allow-list (none for a directory)."""
    if settings.ALFRED_BRIDGE_URL:
        return [urlsplit(settings.ALFRED_BRIDGE_URL).hostname or ""]
    bucket = settings.ALFRED_BRIDGE_BUCKET
    if not bucket:
        return []
    if settings.ALFRED_BRIDGE_S3_ENDPOINT_URL:
        return [urlsplit(settings.ALFRED_BRIDGE_S3_ENDPOINT_URL).hostname or ""]
    region = settings.ALFRED_BRIDGE_S3_REGION or "us-east-1"
    return [f"{bucket}.s3.{region}.amazonaws.com", f"{bucket}.s3.amazonaws.com", f"s3.{region}.amazonaws.com"]


def url_fetch(url: str) -> bytes:
    import httpx

    where = urlsplit(url).hostname
    try:
        with httpx.stream("GET", url, timeout=settings.ALFRED_BRIDGE_READER_TIMEOUT) as response:
            if response.status_code != 200:
                raise BridgeRejected(f"{where} answered HTTP {response.status_code}")
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_BYTES:
                    break
            return body
    except httpx.HTTPError as exc:
        # Never the URL itself: it may carry a signature or a token.
        raise BridgeRejected(f"cannot reach {where}: {type(exc).__name__}") from exc


def bucket_fetch() -> bytes:
    """One GET of the one object, signed with home's read key (it may do nothing else). A header-signed
    GET rather than a presigned URL: the same single permission, and moto's IAM check (the tests) can
    verify it."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    timeout = settings.ALFRED_BRIDGE_READER_TIMEOUT
    client = boto3.client(
        "s3",
        endpoint_url=settings.ALFRED_BRIDGE_S3_ENDPOINT_URL or None,
        region_name=settings.ALFRED_BRIDGE_S3_REGION or None,
        aws_access_key_id=settings.ALFRED_BRIDGE_READER_ACCESS_KEY_ID or None,
        aws_secret_access_key=settings.ALFRED_BRIDGE_READER_SECRET_ACCESS_KEY or None,
        config=Config(connect_timeout=timeout, read_timeout=timeout, retries={"max_attempts": 2}),
    )
    try:
        response = client.get_object(Bucket=settings.ALFRED_BRIDGE_BUCKET, Key=settings.ALFRED_BRIDGE_OBJECT)
        return bytes(response["Body"].read(MAX_BYTES + 1))
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "?")
        raise BridgeRejected(f"the bucket refused the read: {code}") from exc
    except BotoCoreError as exc:
        raise BridgeRejected(f"cannot reach the bucket: {type(exc).__name__}") from exc


def document_fetch() -> bytes:
    """The document's bytes; raises ``BridgeRejected`` when it cannot be had (the reason names no secret)."""
    if settings.ALFRED_BRIDGE_URL:
        return url_fetch(settings.ALFRED_BRIDGE_URL)
    if settings.ALFRED_BRIDGE_BUCKET:
        return bucket_fetch()
    path = Path(settings.ALFRED_BRIDGE_DIR) / settings.ALFRED_BRIDGE_OBJECT
    try:
        return path.read_bytes()[: MAX_BYTES + 1]
    except OSError as exc:
        raise BridgeRejected(f"cannot read {path}: {exc.strerror}") from exc


@dataclass
class ImportReport:
    ok: bool
    blocks: int = 0
    error: str = ""
    generated_at: datetime | None = None


def bridge_state() -> CalendarBridge:
    state = CalendarBridge.objects.order_by("pk").first()
    return state if state is not None else CalendarBridge.objects.create()


def calendar_import(*, now: datetime | None = None) -> ImportReport:
    """Fetch, verify and store. A failure of any kind keeps the last good blocks and returns the reason."""
    now = now or timezone.now()
    state = bridge_state()
    try:
        if not settings.ALFRED_BRIDGE_PUBLIC_KEY:
            raise BridgeRejected("ALFRED_BRIDGE_PUBLIC_KEY is not set")
        raw = document_fetch()
        if len(raw) > MAX_BYTES:
            raise BridgeRejected(f"document larger than {MAX_BYTES} bytes")
        verified = document_verify(raw, settings.ALFRED_BRIDGE_PUBLIC_KEY, now=now)
        if state.generated_at is not None and verified.generated_at < state.generated_at:
            # A replayed older document (or a restored bucket): what home has is newer.
            raise BridgeRejected(f"older than the one home has (generated {verified.generated_at:%Y-%m-%d %H:%M} UTC)")
    except BridgeRejected as exc:
        reason = str(exc)[:300]
        CalendarBridge.objects.filter(pk=state.pk).update(checked_at=now, last_error=reason)
        audit_record(REJECTED, target="bridge", reason=reason)
        logger.warning("calendar import refused, keeping the busy blocks from %s: %s", state.generated_at, reason)
        bridge_age_check(now=now)
        return ImportReport(ok=False, error=reason)
    with transaction.atomic():
        CalendarBlock.objects.all().delete()
        CalendarBlock.objects.bulk_create(
            CalendarBlock(start=b.start, end=b.end, all_day=b.all_day, tz=b.tz) for b in verified.blocks
        )
        CalendarBridge.objects.filter(pk=state.pk).update(
            generated_at=verified.generated_at,
            valid_until=verified.valid_until,
            imported_at=now,
            checked_at=now,
            last_error="",
        )
        audit_record(IMPORTED, target="bridge", blocks=len(verified.blocks))
    logger.info("calendar import: %s busy block(s), generated %s", len(verified.blocks), verified.generated_at)
    bridge_age_check(now=now)
    return ImportReport(ok=True, blocks=len(verified.blocks), generated_at=verified.generated_at)


def bridge_age(*, now: datetime | None = None) -> timedelta | None:
    """How old the busy blocks are (since biz generated them); None before the first good import."""
    state = CalendarBridge.objects.order_by("pk").first()
    if state is None or state.generated_at is None:
        return None
    return (now or timezone.now()) - state.generated_at


def bridge_is_stale(age: timedelta | None) -> bool:
    return age is None or age > timedelta(hours=settings.ALFRED_BRIDGE_STALE_AFTER_HOURS)


def bridge_age_check(*, now: datetime | None = None) -> timedelta | None:
    """The alert: a WARNING line and a ``bridge.stale`` audit event while the busy blocks are older than two
    nights (or never came); the age goes to the metric either way."""
    age = bridge_age(now=now)
    metric_set_bridge_age(age)
    if bridge_is_stale(age):
        hours = "never imported" if age is None else f"{age.total_seconds() / 3600:.0f} hours old"
        logger.warning("calendar bridge stale: the busy blocks are %s", hours)
        audit_record(STALE, target="bridge", age_hours=None if age is None else round(age.total_seconds() / 3600, 1))
    return age


def metric_set_bridge_age(age: timedelta | None) -> None:
    """The bridge's age as the ``alfred_bridge_age_seconds`` gauge (the "bridge stale" alert reads it); no
    document yet counts as infinitely old."""
    from alfred.metrics import set_bridge_age

    set_bridge_age(float("inf") if age is None else age.total_seconds())
