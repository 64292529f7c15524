"""The inbox: the first stage a message travels through. A channel records each inbound message here once.

- an inbound message is stored once (unique per channel + provider id); a redelivery is a no-op;
- its handling is queued only after the row is committed, and a failed enqueue loses nothing: the
  sweeper re-enqueues what is left in ``received``.
"""

import json
import logging
import re
from datetime import datetime
from typing import Any, NotRequired, TypedDict, Unpack

from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from alfred.handling import message_handle_task
from alfred.metrics import message_counted
from alfred.models import Conversation, Direction, Member, Message, Status
from alfred.publisher import enqueue_on_commit

logger = logging.getLogger(__name__)

CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# Half of an emoji pair on its own (JSON allows "\ud83d"): no database can encode it.
LONE_SURROGATES = re.compile(r"[\ud800-\udfff]")
UNSTORABLE_ESCAPES = re.compile(r"\\u(?:0000|d[89a-f])", re.IGNORECASE)


def clean_text(text: str) -> str:
    """Control characters removed (NUL breaks Postgres text); newlines and tabs kept."""
    return LONE_SURROGATES.sub("", CONTROL_CHARS.sub("", text or "")).replace("\r\n", "\n")


def json_storable(value: Any) -> Any:
    """The payload as received, minus what no database column can hold: NUL and lone surrogates."""
    return json.loads(json_storable_text(value))


def json_storable_text(value: Any) -> str:
    """``json_storable(value)`` as JSON text. Serialised with ASCII escapes, NUL and lone surrogates show as
    \\u0000 / \\udXXX; almost no payload has either, and one C-level dump is far cheaper than walking the
    payload in Python. The inbox stores this text itself, so a payload is dumped once."""
    text = json.dumps(value)
    if not UNSTORABLE_ESCAPES.search(text):
        return text
    return json.dumps(_json_cleaned(value))


def _json_cleaned(value: Any) -> Any:
    if isinstance(value, str):
        return LONE_SURROGATES.sub("", value.replace("\x00", ""))
    if isinstance(value, dict):
        return {_json_cleaned(k): _json_cleaned(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_cleaned(v) for v in value]
    return value


class InboundFields(TypedDict):
    """What a channel knows of an inbound message when it records it."""

    channel: str
    provider_message_id: str
    conversation_external_id: str
    sender: Member | None
    text: str
    raw: dict[str, Any]
    kind: NotRequired[str]
    received_at: NotRequired[datetime | None]
    # A tool call the channel already knows (a tapped button).
    intent: NotRequired[dict[str, Any] | None]


def message_record_inbound(**fields: Unpack[InboundFields]) -> int | None:
    """Store an inbound message once and queue its handling: the new row's id, or None for a redelivery.

    A redelivery (same channel + provider id) queues nothing and changes nothing. A new message also makes
    its sender the conversation's member and opens the conversation's reply window.
    """
    now = timezone.now()
    sender = fields["sender"]
    intent = fields.get("intent")
    values: dict[str, Any] = {
        "channel": fields["channel"],
        "provider_message_id": fields["provider_message_id"],
        "external_id": fields["conversation_external_id"],
        "sender_id": sender.pk if sender is not None else None,
        "kind": fields.get("kind", "text"),
        "text": clean_text(fields["text"]),
        "raw": json_storable_text(fields["raw"]),
        "intent": None if intent is None else json_storable_text(intent),
        "created_at": fields.get("received_at") or now,
        "now": now,
    }
    db = connections[DEFAULT_DB_ALIAS]
    message_id = _insert_postgres(db, values) if db.vendor == "postgresql" else _insert_portable(values)
    if message_id is not None:
        enqueue_on_commit(message_handle_task, message_id)
        channel = fields["channel"]
        # Counted once the row is committed: a webhook whose transaction rolls back (503) stored nothing.
        transaction.on_commit(
            lambda: message_counted(channel=channel, direction=Direction.INBOUND, status=Status.RECEIVED)
        )
    return message_id


# The columns of a new inbound row, each with the parameter or constant that fills it. A test compares
# these lists with the models, so a column added to either model fails the suite until it is added here.
CONVERSATION_COLUMNS = {
    "channel": "%(channel)s",
    "external_id": "%(external_id)s",
    "member_id": "%(sender_id)s",
    "last_inbound_at": "%(now)s",
    "created_at": "%(now)s",
}
MESSAGE_COLUMNS = {
    "direction": f"'{Direction.INBOUND.value}'",
    "channel": "%(channel)s",
    "provider_message_id": "%(provider_message_id)s",
    "conversation_id": "(SELECT id FROM conversation)",
    "sender_id": "%(sender_id)s",
    "kind": "%(kind)s",
    "text": "%(text)s",
    "raw": "%(raw)s",
    "content": "'{}'",
    "intent": "%(intent)s",
    "status": f"'{Status.RECEIVED.value}'",
    "path": "''",
    "language": "''",
    "error": "''",
    "error_code": "''",
    "reply_to_id": "NULL",
    "proactive": "FALSE",
    "attempts": "0",
    "next_attempt_at": "NULL",
    "claimed_at": "NULL",
    "claimed_by": "''",
    "created_at": "%(created_at)s",
    "updated_at": "%(now)s",
    "handled_at": "NULL",
    "sent_at": "NULL",
}
# The conversation is changed only while the message is absent, so a redelivery leaves it as it was; the
# upsert still returns the row, so the insert below has its id and meets its own conflict. Of two
# concurrent deliveries of one message exactly one gets an id back (``ON CONFLICT DO NOTHING`` waits for
# the other's row).
ALREADY_STORED = (
    "EXISTS (SELECT 1 FROM alfred_message"
    " WHERE channel = %(channel)s AND provider_message_id = %(provider_message_id)s)"
)
INBOX_INSERT = f"""
WITH conversation AS (
    INSERT INTO alfred_conversation ({", ".join(CONVERSATION_COLUMNS)})
    VALUES ({", ".join(CONVERSATION_COLUMNS.values())})
    ON CONFLICT (channel, external_id) DO UPDATE SET
        member_id = CASE WHEN {ALREADY_STORED} THEN alfred_conversation.member_id ELSE EXCLUDED.member_id END,
        last_inbound_at = CASE WHEN {ALREADY_STORED}
            THEN alfred_conversation.last_inbound_at ELSE EXCLUDED.last_inbound_at END
    RETURNING id
)
INSERT INTO alfred_message ({", ".join(MESSAGE_COLUMNS)})
VALUES ({", ".join(MESSAGE_COLUMNS.values())})
ON CONFLICT DO NOTHING
RETURNING id
"""  # noqa: S608  (only the constant column lists above are interpolated; every value is a parameter)


def _insert_postgres(db: BaseDatabaseWrapper, values: dict[str, Any]) -> int | None:
    """The webhook's one round trip: conversation upsert and message insert in one statement.

    It skips what costs CPU per request: client-side quoting of every value (psycopg binds them and
    prepares the statement after a few runs, so Postgres plans it once per connection) and Django's health
    check (a ``SELECT 1`` before the first query of each request). A kept-alive connection that died
    meanwhile is instead noticed here, replaced, and the statement run once more: safe because it is
    idempotent and, outside a transaction, the connection took nothing else with it.
    """
    import psycopg

    for attempt in (1, 2):
        db.ensure_connection()
        try:
            with db.wrap_database_errors, psycopg.Cursor(db.connection) as cursor:
                cursor.execute(INBOX_INSERT, values)
                row = cursor.fetchone()
                return None if row is None else int(row[0])
        except OperationalError:
            if attempt == 2 or db.in_atomic_block or db.is_usable():
                raise
            logger.info("database connection was lost; statement retried on a new connection")
            db.close()
    raise AssertionError("unreachable")


def _insert_portable(values: dict[str, Any]) -> int | None:
    """The same through the ORM, for SQLite (``make chat``), which has no data-modifying CTEs and
    serialises writers anyway."""
    with transaction.atomic():
        stored = Message.objects.filter(
            channel=values["channel"], provider_message_id=values["provider_message_id"]
        ).exists()
        if stored:
            return None
        conversation, created = Conversation.objects.get_or_create(
            channel=values["channel"],
            external_id=values["external_id"],
            defaults={"member_id": values["sender_id"], "last_inbound_at": values["now"]},
        )
        if not created:
            Conversation.objects.filter(pk=conversation.pk).update(
                member_id=values["sender_id"], last_inbound_at=values["now"]
            )
        message = Message.objects.create(
            direction=Direction.INBOUND,
            channel=values["channel"],
            provider_message_id=values["provider_message_id"],
            conversation=conversation,
            sender_id=values["sender_id"],
            kind=values["kind"],
            text=values["text"],
            raw=json.loads(values["raw"]),
            intent=None if values["intent"] is None else json.loads(values["intent"]),
            status=Status.RECEIVED,
            created_at=values["created_at"],
        )
    return message.pk
