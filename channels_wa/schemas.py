"""The parts of a WhatsApp Cloud API webhook body Alfred reads, as small typed values.

A body is ``{"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages", "value":
{...}}]}]}``; a value carries ``metadata.phone_number_id`` and any number of ``messages`` and ``statuses``.
Parsing never raises: a part that is not the shape Meta documents is skipped, so an unexpected body is
answered 200 and ignored (Meta would otherwise retry it for days).
"""

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from channels_wa.channel import wa_id_from_phone

# Message types that carry media; their caption (if any) is the text.
CAPTIONED = frozenset({"image", "video", "document"})
# Longer ids or addresses than these are not Meta's; storing them would fail the whole delivery.
MAX_ID = 255
MAX_ADDRESS = 128
MAX_STATUS = 16


def _usable(value: str, limit: int) -> bool:
    return 0 < len(value) <= limit and "\x00" not in value and _encodable(value)


def _encodable(value: str) -> bool:
    """JSON may escape a lone surrogate (``"\\ud800"``) that no UTF-8 column or log line can hold."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@dataclass(frozen=True)
class InboundMessage:
    id: str
    type: str
    # The sender's phone number as digits (wa_id) and business-scoped user id (BSUID); either may be empty.
    wa_id: str
    user_id: str
    profile_name: str
    kind: str
    text: str
    # The id of a tapped reply button / list row / template quick reply; empty otherwise.
    button_id: str
    timestamp: datetime | None
    raw: dict[str, Any]

    @property
    def address(self) -> str:
        """Where a reply goes: the phone number when WhatsApp shares it, else the BSUID."""
        return self.wa_id or self.user_id


@dataclass(frozen=True)
class StatusUpdate:
    id: str
    status: str
    recipient_id: str
    # ``biz_opaque_callback_data`` echoed back: Alfred puts its outbound row id there.
    tracker: str
    error_code: str
    error_title: str
    timestamp: datetime | None
    raw: dict[str, Any]


@dataclass(frozen=True)
class Change:
    field: str
    phone_number_id: str
    messages: list[InboundMessage] = dataclasses.field(default_factory=list)
    statuses: list[StatusUpdate] = dataclasses.field(default_factory=list)
    errors: list[dict[str, Any]] = dataclasses.field(default_factory=list)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list_of_dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _str(value: Any) -> str:
    return value if isinstance(value, str) else str(value) if isinstance(value, int | float) else ""


def timestamp_from(value: Any) -> datetime | None:
    """Meta's unix-seconds timestamp; None when absent or absurd (the caller uses 'now')."""
    try:
        seconds = int(_str(value))
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (ValueError, OverflowError, OSError):
        return None


def changes_from(payload: Any) -> list[Change]:
    changes: list[Change] = []
    for entry in _list_of_dicts(_dict(payload).get("entry")):
        for change in _list_of_dicts(entry.get("changes")):
            value = _dict(change.get("value"))
            contacts = _list_of_dicts(value.get("contacts"))
            changes.append(
                Change(
                    field=_str(change.get("field")),
                    phone_number_id=_str(_dict(value.get("metadata")).get("phone_number_id")),
                    messages=[
                        message
                        for raw in _list_of_dicts(value.get("messages"))
                        if (message := inbound_from(raw, contacts)) is not None
                    ],
                    statuses=[status for raw in _list_of_dicts(value.get("statuses")) if (status := status_from(raw))],
                    errors=_list_of_dicts(value.get("errors")),
                )
            )
    return changes


def _contact_for(wa_id: str, contacts: list[dict[str, Any]]) -> dict[str, Any]:
    for contact in contacts:
        if wa_id and wa_id_from_phone(_str(contact.get("wa_id"))) == wa_id:
            return contact
    # Meta may leave "from" out when it only shares the BSUID; then a lone contact is the sender. A contact
    # with a different number is someone else, never borrowed.
    if len(contacts) == 1 and not (wa_id and contacts[0].get("wa_id")):
        return contacts[0]
    return {}


def inbound_from(raw: dict[str, Any], contacts: list[dict[str, Any]]) -> InboundMessage | None:
    message_id = _str(raw.get("id"))
    if not _usable(message_id, MAX_ID):
        return None
    wa_id = wa_id_from_phone(_str(raw.get("from")))
    contact = _contact_for(wa_id, contacts)
    wa_id = wa_id or wa_id_from_phone(_str(contact.get("wa_id")))
    user_id = _str(raw.get("from_user_id")) or _str(contact.get("user_id"))
    if not _usable(user_id, MAX_ADDRESS):
        user_id = ""
    if len(wa_id) > MAX_ADDRESS:
        wa_id = ""
    kind, text, button_id = content_of(raw)
    return InboundMessage(
        id=message_id,
        type=_str(raw.get("type")),
        wa_id=wa_id,
        user_id=user_id,
        profile_name=_str(_dict(contact.get("profile")).get("name")),
        kind=kind,
        text=text,
        button_id=button_id,
        timestamp=timestamp_from(raw.get("timestamp")),
        raw=raw,
    )


def content_of(raw: dict[str, Any]) -> tuple[str, str, str]:
    """``(kind, text, button_id)`` of one message. ``kind`` tells the worker what to do with it."""
    typ = _str(raw.get("type"))
    body = _dict(raw.get(typ))
    if typ == "text":
        return "text", _str(body.get("body")), ""
    if typ == "interactive":
        for reply_type in ("button_reply", "list_reply"):
            reply = _dict(body.get(reply_type))
            if reply:
                return "interactive", _str(reply.get("title")), _str(reply.get("id"))
        return "unsupported", "", ""
    if typ == "button":  # a template's quick-reply button
        return "interactive", _str(body.get("text")), _str(body.get("payload"))
    if typ in CAPTIONED:
        return typ, _str(body.get("caption")), ""
    if typ == "audio":
        return "audio", "", ""
    if typ in ("sticker", "revoke"):
        return typ, "", ""
    if typ == "reaction":
        return "reaction", _str(body.get("emoji")), ""
    if typ == "location":
        return "location", ", ".join(p for p in (_str(body.get("name")), _str(body.get("address"))) if p), ""
    if typ == "contacts":
        names = [_str(_dict(c.get("name")).get("formatted_name")) for c in _list_of_dicts(raw.get("contacts"))]
        return "contacts", ", ".join(name for name in names if name), ""
    if typ == "order":
        return "order", _str(_dict(raw.get("order")).get("text")), ""
    if typ == "system":
        return "system", _str(body.get("body")), ""
    if typ == "edit":
        edited = _dict(body.get("message"))
        inner = _dict(edited.get(_str(edited.get("type"))))
        return "edit", _str(inner.get("body")) or _str(inner.get("caption")), ""
    return "unsupported", "", ""


def status_from(raw: dict[str, Any]) -> StatusUpdate | None:
    message_id, status = _str(raw.get("id")), _str(raw.get("status"))
    if not _usable(message_id, MAX_ID) or not _usable(status, MAX_STATUS):
        return None
    errors = _list_of_dicts(raw.get("errors"))
    error = errors[0] if errors else {}
    return StatusUpdate(
        id=message_id,
        status=status,
        recipient_id=_str(raw.get("recipient_id")),
        tracker=_str(raw.get("biz_opaque_callback_data")),
        error_code=_str(error.get("code")),
        error_title=_str(error.get("title")) or _str(error.get("message")),
        timestamp=timestamp_from(raw.get("timestamp")),
        raw=raw,
    )
