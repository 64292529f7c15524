"""The calendar bridge's document: the one thing that crosses from biz to home (README "Calendar bridge").

Biz (``work_skills.calendar``) builds it from its calendars and signs it with its Ed25519 private key; home
(``home_skills.bridge``) verifies it with biz's public key before it believes a word. Both sides use this
module, so the format is defined once; it imports no skill.

The document holds busy blocks only — start, end, all-day flag, time zone — and when it was made and for
which window. No title, attendee, location, description or event UID ever goes in: ``document_build`` takes
blocks, not events, so there is nothing else it could write.

On the wire::

    {"document": {"kind": "alfred.busy-blocks", "version": 1, "generated_at": "…Z", "valid_from": "…Z",
                  "valid_until": "…Z", "blocks": [{"start": …, "end": …, "all_day": false, "tz": "Europe/Madrid"}]},
     "signature": "<base64 Ed25519 signature of the document's canonical JSON>"}
"""

import base64
import binascii
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

KIND = "alfred.busy-blocks"
VERSION = 1
# A clock a few minutes ahead on biz must not make every document "from the future" on home.
CLOCK_SKEW = timedelta(minutes=10)


class BridgeRejected(Exception):
    """A document home must not believe: the reason is safe to log (it never quotes the document)."""


@dataclass(frozen=True, order=True)
class BusyBlock:
    """A span of time the owner is busy. All-day blocks span whole days in ``tz`` (``end`` exclusive)."""

    start: datetime
    end: datetime
    all_day: bool = False
    tz: str = "UTC"

    def to_json(self) -> dict[str, Any]:
        zone = ZoneInfo(self.tz)
        if self.all_day:
            first, last = self.start.astimezone(zone).date(), self.end.astimezone(zone).date()
            return {"start": first.isoformat(), "end": last.isoformat(), "all_day": True, "tz": self.tz}
        return {
            "start": self.start.astimezone(zone).isoformat(),
            "end": self.end.astimezone(zone).isoformat(),
            "all_day": False,
            "tz": self.tz,
        }

    @classmethod
    def from_json(cls, data: Any) -> "BusyBlock":
        if not isinstance(data, dict) or set(data) != {"start", "end", "all_day", "tz"}:
            raise BridgeRejected("a block has unexpected fields")
        try:
            zone = ZoneInfo(str(data["tz"]))
            if data["all_day"] is True:
                start = day_start(date.fromisoformat(data["start"]), zone)
                end = day_start(date.fromisoformat(data["end"]), zone)
            elif data["all_day"] is False:
                start, end = aware(data["start"]), aware(data["end"])
            else:
                raise BridgeRejected("a block's all_day is not a boolean")
        except (ValueError, TypeError, ZoneInfoNotFoundError) as exc:
            raise BridgeRejected(f"a block cannot be read: {type(exc).__name__}") from exc
        if end <= start:
            raise BridgeRejected("a block ends before it starts")
        return cls(start=start, end=end, all_day=data["all_day"], tz=str(data["tz"]))


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """Midnight of ``day`` in ``zone`` as an aware datetime (a DST change never falls at midnight in the zones
    we serve, and zoneinfo resolves it if it did)."""
    return datetime.combine(day, time(0), tzinfo=zone)


def aware(text: Any) -> datetime:
    value = datetime.fromisoformat(str(text))
    if value.tzinfo is None:
        raise ValueError("a time without a UTC offset")
    return value


def _joined(blocks: Iterable[BusyBlock]) -> list[BusyBlock]:
    joined: list[BusyBlock] = []
    for block in sorted(blocks):
        if joined and block.start <= joined[-1].end:
            last = joined[-1]
            joined[-1] = BusyBlock(start=last.start, end=max(last.end, block.end), all_day=last.all_day, tz=last.tz)
        else:
            joined.append(block)
    return joined


def blocks_merge(blocks: Iterable[BusyBlock]) -> list[BusyBlock]:
    """Overlapping and adjacent blocks become one, so the document says less about how many things there
    are: all-day blocks on consecutive days join, timed blocks that touch join, and a timed block's part
    inside an all-day block goes (the day says it already)."""
    blocks = list(blocks)
    days = _joined(b for b in blocks if b.all_day)
    timed: list[BusyBlock] = []
    for block in _joined(b for b in blocks if not b.all_day):
        start, end = block.start, block.end
        for day in days:
            if day.start <= start and end <= day.end:
                start = end  # wholly inside the day
            elif day.start <= start < day.end:
                start = day.end
            elif day.start < end <= day.end:
                end = day.start
        if start < end:
            timed.append(BusyBlock(start=start, end=end, all_day=False, tz=block.tz))
    return sorted(days + timed)


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def document_build(*, blocks: Iterable[BusyBlock], generated_at: datetime, days: int) -> dict[str, Any]:
    """The unsigned document: busy blocks that touch the window [generated_at, generated_at + days)."""
    valid_until = generated_at + timedelta(days=days)
    inside = [b for b in blocks_merge(blocks) if b.end > generated_at and b.start < valid_until]
    return {
        "kind": KIND,
        "version": VERSION,
        "generated_at": utc_text(generated_at),
        "valid_from": utc_text(generated_at),
        "valid_until": utc_text(valid_until),
        "blocks": [block.to_json() for block in inside],
    }


def canonical(document: dict[str, Any]) -> bytes:
    """The bytes that are signed: one serialisation for a given document, whoever parsed and re-wrote it."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def document_sign(document: dict[str, Any], private_key_text: str) -> bytes:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.from_private_bytes(key_bytes(private_key_text, "ALFRED_BRIDGE_SIGNING_KEY"))
    signature = base64.b64encode(key.sign(canonical(document))).decode()
    return json.dumps({"document": document, "signature": signature}, indent=1, sort_keys=True).encode() + b"\n"


@dataclass(frozen=True)
class Verified:
    generated_at: datetime
    valid_until: datetime
    blocks: list[BusyBlock]


def document_verify(raw: bytes, public_key_text: str, *, now: datetime) -> Verified:
    """The document's blocks, if and only if biz's key signed exactly these bytes' document, it is of a
    version we read, and ``now`` is inside its validity window. Raises ``BridgeRejected`` otherwise."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        envelope = json.loads(raw)
        document, signature = envelope["document"], base64.b64decode(envelope["signature"], validate=True)
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise BridgeRejected(f"not a bridge document ({type(exc).__name__})") from exc
    if not isinstance(document, dict):
        raise BridgeRejected("not a bridge document (no document object)")
    key = Ed25519PublicKey.from_public_bytes(key_bytes(public_key_text, "ALFRED_BRIDGE_PUBLIC_KEY"))
    try:
        key.verify(signature, canonical(document))
    except InvalidSignature:
        raise BridgeRejected("bad signature: tampered with, or signed with another key") from None
    # Signed by biz from here on; still checked, since a signed document can be old or from a wrong clock.
    if document.get("kind") != KIND or document.get("version") != VERSION:
        raise BridgeRejected(f"unsupported document kind/version {document.get('kind')!r}/{document.get('version')!r}")
    try:
        generated_at = aware(document["generated_at"])
        valid_from, valid_until = aware(document["valid_from"]), aware(document["valid_until"])
        raw_blocks = document["blocks"]
    except (KeyError, ValueError) as exc:
        raise BridgeRejected(f"a field cannot be read ({type(exc).__name__})") from exc
    if generated_at > now + CLOCK_SKEW or valid_from > now + CLOCK_SKEW:
        raise BridgeRejected(f"future-dated: generated at {utc_text(generated_at)}")
    if valid_until <= now:
        raise BridgeRejected(f"expired: valid until {utc_text(valid_until)}")
    if not isinstance(raw_blocks, list):
        raise BridgeRejected("blocks is not a list")
    return Verified(
        generated_at=generated_at, valid_until=valid_until, blocks=[BusyBlock.from_json(b) for b in raw_blocks]
    )


def key_bytes(text: str, name: str) -> bytes:
    try:
        value = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        value = b""
    if len(value) != 32:
        # The name, never the value: the value may be a secret.
        raise BridgeRejected(f"{name} is not a base64 Ed25519 key (32 bytes)")
    return value


def key_pair_generate() -> tuple[str, str]:
    """A new (private, public) key pair, each as base64 of its 32 raw bytes."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private = Ed25519PrivateKey.generate()
    raw = serialization.Encoding.Raw
    private_bytes = private.private_bytes(raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    public_bytes = private.public_key().public_bytes(raw, serialization.PublicFormat.Raw)
    return base64.b64encode(private_bytes).decode(), base64.b64encode(public_bytes).decode()


def public_key_of(private_key_text: str) -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.from_private_bytes(key_bytes(private_key_text, "ALFRED_BRIDGE_SIGNING_KEY"))
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()
