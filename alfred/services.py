"""Inbox and outbox: every write to messages goes through here.

Rules that make Alfred trustworthy live in this file:
- an inbound message is stored once (unique per channel + provider id); a redelivery is a no-op;
- work is queued only after the row is committed (``on_commit``), and a failed enqueue loses nothing:
  the sweeper re-enqueues what is left in ``received``/``queued``;
- a row is claimed with a conditional UPDATE before it is worked on, so two workers never both act.
"""

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache, partial
from typing import TYPE_CHECKING, Any, NotRequired, TypedDict, Unpack

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import F, Field, Q
from django.utils import timezone
from django.utils.module_loading import import_string

from alfred.models import Conversation, Direction, Member, Message, Status
from alfred.publisher import publish_now, publisher

if TYPE_CHECKING:
    from alfred.brain import Answer

logger = logging.getLogger(__name__)

CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# Half of an emoji pair on its own (JSON allows "\ud83d"): no database can encode it.
LONE_SURROGATES = re.compile(r"[\ud800-\udfff]")
UNSTORABLE_ESCAPES = re.compile(r"\\u(?:0000|d[89a-f])", re.IGNORECASE)


def _enqueue(task_name: str, message_id: int) -> None:
    publish_now(task_name, [message_id])


def enqueue_on_commit(task_name: str, message_id: int) -> None:
    """Queue a task for a row once the row is committed; the publisher sends it after the caller returns."""
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        transaction.on_commit(partial(publisher.submit, task_name, message_id))
    else:  # autocommit: the row is committed already (what on_commit would find out, at a cost per message)
        publisher.submit(task_name, message_id)


def clean_text(text: str) -> str:
    """Control characters removed (NUL breaks Postgres text); newlines and tabs kept."""
    return LONE_SURROGATES.sub("", CONTROL_CHARS.sub("", text or "")).replace("\r\n", "\n")


def json_storable(value: Any) -> Any:
    """The payload as received, minus what no database column can hold: NUL and lone surrogates."""
    return json_storable_text(value)[0]


class JsonText(str):
    """A value already serialised as JSON, written as is into a JSON column (see ``RowShape``); ``value`` is
    what it was serialised from."""

    value: Any

    @classmethod
    def of(cls, value: Any) -> "JsonText":
        text = cls(json.dumps(value))
        text.value = value
        return text


def json_storable_text(value: Any) -> tuple[Any, JsonText]:
    """``json_storable(value)`` and its JSON text. Serialised with ASCII escapes, NUL and lone surrogates
    show as \\u0000 / \\udXXX; almost no payload has either, and one C-level dump is far cheaper than
    walking the payload in Python. The webhook stores the text itself, so the payload is dumped once."""
    text = JsonText.of(value)
    if not UNSTORABLE_ESCAPES.search(text):
        return value, text
    cleaned = _json_cleaned(value)
    return cleaned, JsonText.of(cleaned)


def _json_cleaned(value: Any) -> Any:
    if isinstance(value, str):
        return LONE_SURROGATES.sub("", value.replace("\x00", ""))
    if isinstance(value, dict):
        return {_json_cleaned(k): _json_cleaned(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_cleaned(v) for v in value]
    return value


def conversation_for(*, channel: str, external_id: str, member: Member | None) -> Conversation:
    conversation, created = Conversation.objects.get_or_create(
        channel=channel, external_id=external_id, defaults={"member": member}
    )
    if not created and member is not None and conversation.member_id != member.pk:
        Conversation.objects.filter(pk=conversation.pk).update(member=member)
        conversation.member = member
    return conversation


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


def message_record_inbound(**fields: Unpack[InboundFields]) -> tuple[Message, bool]:
    """Store an inbound message once and queue its handling. Returns ``(message, created)``.

    A redelivery (same channel + provider id) returns the stored row and queues nothing. A new message also
    makes its sender the conversation's member and opens the conversation's reply window; a redelivery
    touches neither.
    """
    conversation, message = _inbound_row_values(fields)
    stored = _store_and_enqueue(conversation, message)
    if stored is None:
        return Message.objects.get(channel=fields["channel"], provider_message_id=fields["provider_message_id"]), False
    message_id, conversation_id = stored
    message.pop("sender_id")  # the instance gets the Member itself, so reading .sender costs no query
    message["raw"] = message["raw"].value
    stored_message = Message(id=message_id, conversation_id=conversation_id, sender=fields["sender"], **message)
    stored_message._state.adding = False
    stored_message._state.db = DEFAULT_DB_ALIAS
    return stored_message, True


def inbound_store(**fields: Unpack[InboundFields]) -> int | None:
    """``message_record_inbound`` for a caller that only needs to know whether the message was new: the new
    row's id, or None for a redelivery. The webhook uses it and is spared building a model instance."""
    stored = _store_and_enqueue(*_inbound_row_values(fields))
    return None if stored is None else stored[0]


def _inbound_row_values(fields: InboundFields) -> tuple[dict[str, Any], dict[str, Any]]:
    """The conversation's and the message's column values, keyed by attribute name."""
    now = timezone.now()
    sender = fields["sender"]
    sender_id = sender.pk if sender is not None else None
    conversation = {
        "channel": fields["channel"],
        "external_id": fields["conversation_external_id"],
        "member_id": sender_id,
        "last_inbound_at": now,
        "created_at": now,
    }
    message = {
        "direction": Direction.INBOUND.value,
        "channel": fields["channel"],
        "provider_message_id": fields["provider_message_id"],
        "sender_id": sender_id,
        "kind": fields.get("kind", "text"),
        "text": clean_text(fields["text"]),
        "raw": json_storable_text(fields["raw"])[1],
        "intent": fields.get("intent"),
        "status": Status.RECEIVED.value,
        "created_at": fields.get("received_at") or now,
        "updated_at": now,
    }
    return conversation, message


def _store_and_enqueue(conversation: dict[str, Any], message: dict[str, Any]) -> tuple[int, int] | None:
    stored = _record_once(conversation, message)
    if stored is not None:
        enqueue_on_commit("message_handle", stored[0])
    return stored


def _record_once(conversation: dict[str, Any], message: dict[str, Any]) -> tuple[int, int] | None:
    """Upsert the conversation and insert the message unless it is already stored: ``(message id,
    conversation id)``, or None for a redelivery.

    The conversation is only changed while the message is absent, so a redelivery leaves it as it was. Of
    two concurrent deliveries of the same message exactly one gets an id back (``ON CONFLICT DO NOTHING``
    waits for the other's row). On Postgres this is one statement; SQLite (``make chat``) has no
    data-modifying CTEs and runs the same two statements in a transaction. Both dicts are keyed by
    attribute name (``member_id``); a column not in them gets its field's default.
    """
    db = connections[DEFAULT_DB_ALIAS]
    sql = _inbox_sql(db.vendor, tuple(conversation), tuple(message))
    dedupe = [message["channel"], message["provider_message_id"]] * sql.dedupe_repeats
    conversation_params = [*sql.conversation.params(conversation, db), *dedupe]
    if sql.in_one_statement:
        row = _postgres_idempotent(db, sql.message_insert, [*conversation_params, *sql.message.params(message, db)])
    else:
        with transaction.atomic(using=db.alias), db.cursor() as cursor:
            cursor.execute(sql.conversation_upsert, conversation_params)
            (conversation_id,) = cursor.fetchone()
            cursor.execute(sql.message_insert, sql.message.params({**message, "conversation_id": conversation_id}, db))
            row = cursor.fetchone()
    return None if row is None else (row[0], row[1])


def _postgres_idempotent(db: BaseDatabaseWrapper, sql: str, params: list[Any]) -> tuple[Any, ...] | None:
    """Run one idempotent statement on Django's connection with server-side binding; its first row.

    This is the webhook's one round trip, so it skips what costs CPU per request: the client-side quoting
    of every value (psycopg binds them, and prepares the statement after a few runs, so Postgres parses and
    plans it once per connection) and Django's health check (a ``SELECT 1`` before the first query of each
    request). A kept-alive connection that died meanwhile is instead noticed here, replaced, and the
    statement run once more: safe because it is idempotent and, outside a transaction, the connection took
    nothing else with it.
    """
    import psycopg

    for attempt in (1, 2):
        db.ensure_connection()
        try:
            with db.wrap_database_errors, psycopg.Cursor(db.connection) as cursor:
                cursor.execute(sql, params)
                return cursor.fetchone()
        except OperationalError:
            if attempt == 2 or db.in_atomic_block or db.is_usable():
                raise
            logger.info("database connection was lost; statement retried on a new connection")
            db.close()
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class RowShape:
    """How an inserted row's columns get their values: from the caller, from the clock (``auto_now``), from
    a callable default, or a constant default. Constant ``None``/``False``/``0``/``""`` are written into the
    statement as literals and cost nothing per row; every other value is a bound parameter prepared by its
    model field, as the model's own save would."""

    columns: list[str]
    values_sql: list[str]
    sources: "list[tuple[str, Field[Any, Any]]]"

    def params(self, given: dict[str, Any], db: BaseDatabaseWrapper) -> list[Any]:
        params = []
        for source, field in self.sources:
            if source == "given":
                value = given[field.attname]
                if isinstance(value, JsonText):  # serialised already: Postgres and SQLite read JSON text
                    params.append(str(value))
                    continue
            elif source == "now":
                value = timezone.now()
            else:
                value = field.get_default()
            params.append(field.get_db_prep_save(value, db))
        return params


def _row_shape(
    model: type[Conversation] | type[Message], given: tuple[str, ...], db: BaseDatabaseWrapper, *, computed: str = ""
) -> RowShape:
    """The shape of a new ``model`` row whose caller supplies the attributes in ``given``; ``computed`` names an
    attribute the statement itself supplies (the upserted conversation's id)."""
    quote = db.ops.quote_name
    columns, values_sql, sources = [], [], []
    for field in model._meta.local_concrete_fields:
        if field.primary_key:
            continue
        columns.append(quote(field.column))
        if field.attname == computed:
            values_sql.append(f"(SELECT {quote('id')} FROM {quote('conversation')})")  # noqa: S608
            continue
        values_sql.append("%s")
        if field.attname in given:
            sources.append(("given", field))
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            sources.append(("now", field))
        elif field.has_default() and callable(field.default):
            sources.append(("default", field))
        else:
            constant = field.get_db_prep_save(field.get_default(), db)
            literal = _SQL_LITERALS.get((type(constant), constant))
            if literal is None:
                sources.append(("default", field))
            else:
                values_sql[-1] = literal
    unknown = set(given) - {field.attname for field in model._meta.local_concrete_fields}
    if unknown:
        raise TypeError(f"{model.__name__} has no column for {sorted(unknown)}")
    return RowShape(columns=columns, values_sql=values_sql, sources=sources)


_SQL_LITERALS: dict[tuple[type, Any], str] = {
    (type(None), None): "NULL",
    (bool, False): "FALSE",
    (bool, True): "TRUE",
    (int, 0): "0",
    (str, ""): "''",
}


@dataclass(frozen=True)
class InboxSQL:
    conversation: RowShape
    message: RowShape
    conversation_upsert: str
    message_insert: str
    in_one_statement: bool
    dedupe_repeats: int


@cache
def _inbox_sql(vendor: str, conversation_given: tuple[str, ...], message_given: tuple[str, ...]) -> InboxSQL:
    """The statements of ``_record_once``, built once from model metadata.

    Only quoted identifiers and the constant literals above are interpolated; every other value goes in as
    a parameter. A database-side default or a new unique constraint on either table would need a look here.
    """
    db = connections[DEFAULT_DB_ALIAS]
    quote = db.ops.quote_name

    def column(model: type[Conversation] | type[Message], name: str) -> str:
        field = model._meta.get_field(name)
        if not isinstance(field, Field) or not field.column:
            raise TypeError(f"{model.__name__}.{name} is not a column")
        return quote(field.column)

    in_one_statement = vendor == "postgresql"
    conversation = _row_shape(Conversation, conversation_given, db)
    message = _row_shape(
        Message,
        message_given if in_one_statement else (*message_given, "conversation_id"),
        db,
        computed="conversation_id" if in_one_statement else "",
    )
    conversation_table, message_table = quote(Conversation._meta.db_table), quote(Message._meta.db_table)
    stored = (
        f"EXISTS (SELECT 1 FROM {message_table} "  # noqa: S608
        f"WHERE {column(Message, 'channel')} = %s AND {column(Message, 'provider_message_id')} = %s)"
    )
    # Every assignment keeps the current value when the message is stored already (a redelivery). The row is
    # still returned, so the message insert below has its conversation id and meets its own conflict.
    kept_on_redelivery = [column(Conversation, "member"), column(Conversation, "last_inbound_at")]
    conversation_upsert = (
        f"INSERT INTO {conversation_table} ({', '.join(conversation.columns)}) "  # noqa: S608
        f"VALUES ({', '.join(conversation.values_sql)}) "
        f"ON CONFLICT ({column(Conversation, 'channel')}, {column(Conversation, 'external_id')}) DO UPDATE SET "
        + ", ".join(
            f"{name} = CASE WHEN {stored} THEN {conversation_table}.{name} ELSE EXCLUDED.{name} END"
            for name in kept_on_redelivery
        )
        + f" RETURNING {quote('id')}"
    )
    message_insert = f"WITH {quote('conversation')} AS ({conversation_upsert}) " if in_one_statement else ""
    message_insert += (
        f"INSERT INTO {message_table} ({', '.join(message.columns)}) "  # noqa: S608
        f"VALUES ({', '.join(message.values_sql)}) "
        f"ON CONFLICT DO NOTHING RETURNING {quote('id')}, {column(Message, 'conversation')}"
    )
    return InboxSQL(
        conversation=conversation,
        message=message,
        conversation_upsert=conversation_upsert,
        message_insert=message_insert,
        in_one_statement=in_one_statement,
        dedupe_repeats=len(kept_on_redelivery),
    )


def outbound_record(
    *,
    conversation: Conversation,
    text: str,
    reply_to: Message | None = None,
    proactive: bool = False,
    kind: str = "text",
    raw: dict[str, Any] | None = None,
) -> Message:
    """Put a message in the outbox; it is sent by a task once this transaction commits."""
    message = Message.objects.create(
        direction=Direction.OUTBOUND,
        channel=conversation.channel,
        conversation=conversation,
        text=text,
        kind=kind,
        raw=raw or {},
        status=Status.QUEUED,
        reply_to=reply_to,
        proactive=proactive,
        language=reply_to.language if reply_to else "",
    )
    enqueue_on_commit("outbound_deliver", message.pk)
    return message


def conversation_reply(
    *, inbound: Message, text: str, kind: str = "text", raw: dict[str, Any] | None = None
) -> Message:
    """Answer an inbound message in its own conversation."""
    return outbound_record(conversation=inbound.conversation, text=text, reply_to=inbound, kind=kind, raw=raw)


def inbound_claim(message_id: int) -> Message | None:
    """Take an inbound row for handling; a row abandoned by a dead worker can be taken again after the lease."""
    now = timezone.now()
    lease_expired = now - timedelta(seconds=settings.ALFRED_HANDLING_LEASE_SECONDS)
    claimed = (
        Message.objects.filter(id=message_id, direction=Direction.INBOUND)
        .filter(Q(status=Status.RECEIVED) | Q(status=Status.HANDLING, claimed_at__lt=lease_expired))
        .update(status=Status.HANDLING, claimed_at=now)
    )
    if not claimed:
        return None
    return Message.objects.select_related("conversation", "sender").get(id=message_id)


def message_handle(message_id: int) -> None:
    """Handle one inbound message: brain → reply in the outbox → mark handled. Safe to call twice."""
    from alfred.brain import brain_answer

    message = inbound_claim(message_id)
    if message is None:
        return
    try:
        answer = inbound_prepare(message) or brain_answer(message)
    except Exception as exc:
        logger.exception("message %s: handling failed", message.pk)
        with transaction.atomic():
            if _finish(message, status=Status.FAILED, path="", error=f"{type(exc).__name__}: handling failed"):
                conversation_reply(inbound=message, text=apology(message.language))
        return
    with transaction.atomic():
        if _finish(message, status=answer.status, path=answer.path, error=answer.error) and answer.text:
            conversation_reply(inbound=message, text=answer.text, kind=answer.kind, raw=answer.raw)


def inbound_prepare(message: Message) -> "Answer | None":
    """The channel's own work before the brain (download and transcribe a voice note, mark as read…).

    ``ALFRED_INBOUND_PREPARERS`` maps a channel to ``prepare(message) -> Answer | None``; a preparer may
    change ``message.text`` in place, or return the answer itself (e.g. "voice notes are not enabled").
    """
    path = settings.ALFRED_INBOUND_PREPARERS.get(message.channel)
    if not path:
        return None
    prepare: Callable[[Message], Answer | None] = import_string(path)
    return prepare(message)


def apology(language: str) -> str:
    from django.utils import translation
    from django.utils.translation import gettext

    with translation.override(language or "en"):
        return gettext("Sorry, something went wrong on my side. Please try again in a moment.")


def _finish(message: Message, *, status: str, path: str, error: str = "") -> bool:
    """Close the handling this worker claimed. False when the lease ran out and another worker took the
    message over: then this worker must not reply, or the member would be answered twice."""
    finished = Message.objects.filter(pk=message.pk, status=Status.HANDLING, claimed_at=message.claimed_at).update(
        status=status, path=path, error=error, language=message.language, handled_at=timezone.now()
    )
    if not finished:
        logger.warning("message %s: taken over by another worker after the lease; this reply is dropped", message.pk)
    return bool(finished)


@dataclass
class SendOutcome:
    sent: bool
    retry_in: float | None = None


def retry_delay(attempt: int) -> float:
    """Exponential backoff, 4^attempt seconds capped at 10 minutes (WhatsApp's pair-rate guidance)."""
    return float(min(4**attempt, 600))


def outbound_send(message_id: int) -> SendOutcome:
    """Send one outbox row exactly once: claim it, call the provider, record the outcome."""
    from alfred.channels import SendError, get_sender

    now = timezone.now()
    claimed = Message.objects.filter(id=message_id, direction=Direction.OUTBOUND, status=Status.QUEUED).update(
        status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return SendOutcome(sent=False)
    message = Message.objects.select_related("conversation", "reply_to").get(id=message_id)
    try:
        provider_id = get_sender(message.channel).send(message)
    except SendError as exc:
        final = exc.permanent or message.attempts >= settings.ALFRED_OUTBOUND_MAX_ATTEMPTS
        if final:
            log = logger.error if exc.code == "190" else logger.warning
            log("outbound %s failed for good: %s (code %s)", message.pk, exc.reason, exc.code or "-")
            Message.objects.filter(pk=message.pk).update(status=Status.FAILED, error=exc.reason, error_code=exc.code)
            return SendOutcome(sent=False)
        delay = exc.retry_after if exc.retry_after is not None else retry_delay(message.attempts)
        logger.info("outbound %s: transient failure (%s), retry in %.0fs", message.pk, exc.code or exc.reason, delay)
        Message.objects.filter(pk=message.pk).update(
            status=Status.QUEUED, error=exc.reason, error_code=exc.code, next_attempt_at=now + timedelta(seconds=delay)
        )
        return SendOutcome(sent=False, retry_in=delay)
    Message.objects.filter(pk=message.pk, status=Status.SENDING).update(
        status=Status.SENT, provider_message_id=provider_id, sent_at=timezone.now(), error="", error_code=""
    )
    return SendOutcome(sent=True)


@dataclass
class SweepReport:
    inbound_requeued: int = 0
    outbound_requeued: int = 0
    outbound_abandoned: int = 0


def sweep_stuck(*, now: datetime | None = None, enqueue: Callable[[str, int], None] = _enqueue) -> SweepReport:
    """Re-enqueue rows that a down broker or a dead worker left behind. Enqueueing twice is harmless:
    handling and sending both claim their row first."""
    now = now or timezone.now()
    waited = now - timedelta(seconds=settings.ALFRED_SWEEP_AFTER_SECONDS)
    lease_expired = now - timedelta(seconds=settings.ALFRED_HANDLING_LEASE_SECONDS)
    report = SweepReport()
    inbound = Message.objects.filter(direction=Direction.INBOUND).filter(
        Q(status=Status.RECEIVED, created_at__lte=waited) | Q(status=Status.HANDLING, claimed_at__lt=lease_expired)
    )
    for message_id in inbound.values_list("id", flat=True)[:500]:
        enqueue("message_handle", message_id)
        report.inbound_requeued += 1
    outbound = Message.objects.filter(direction=Direction.OUTBOUND, status=Status.QUEUED).filter(
        Q(next_attempt_at__isnull=True, created_at__lte=waited) | Q(next_attempt_at__lte=now)
    )
    for message_id in outbound.values_list("id", flat=True)[:500]:
        enqueue("outbound_deliver", message_id)
        report.outbound_requeued += 1
    # A send that started and never finished may or may not have reached the provider. Sending again
    # could answer twice, so it is marked failed and shown in the admin instead.
    report.outbound_abandoned = Message.objects.filter(
        direction=Direction.OUTBOUND, status=Status.SENDING, claimed_at__lt=lease_expired
    ).update(status=Status.FAILED, error="send interrupted; outcome unknown, not retried to avoid a duplicate")
    if report.inbound_requeued or report.outbound_requeued or report.outbound_abandoned:
        logger.info("sweeper: %s", report)
    return report
