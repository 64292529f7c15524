"""Handling: the second stage. The worker claims an inbound row, lets the channel prepare it, asks the
brain for the answer and puts the reply in the outbox, closing the row in the same transaction.

A row is claimed with a conditional UPDATE before it is worked on, so two workers never both act, and a
row abandoned by a dead worker is taken again after its lease.
"""

import logging
from datetime import datetime, timedelta
from functools import cache
from typing import Any, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model, Q
from django.utils import timezone, translation
from django.utils.translation import gettext

from alfred.answer import Answer
from alfred.audit import MESSAGE_INBOUND, audit_record, member_actor
from alfred.channels import get_channel
from alfred.liveness import claimant
from alfred.metrics import message_counted
from alfred.models import Conversation, Direction, Member, Message, Status
from alfred.outbox import conversation_reply, through_outage
from alfred.publisher import row_task
from alfred.statements import message_update
from alfred.throttle import throttled_rank

logger = logging.getLogger(__name__)


@row_task("alfred.tasks.message_handle")
def message_handle_task(message_id: int) -> None:
    # In a worker the reply is sent by this same task once committed (alfred.outbox.outbound_deliver_here);
    # in inline mode it goes through its own task as before, run in the caller at commit.
    message_handle(message_id, send_here=not message_handle_task.app.conf.task_always_eager)


def inbound_claim(message_id: int) -> Message | None:
    """Take an inbound row for handling; a row abandoned by a dead worker can be taken again after the lease."""
    now = timezone.now()
    lease_expired = now - timedelta(seconds=settings.ALFRED_HANDLING_LEASE_SECONDS)
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor == "postgresql":
        return _claim_postgres(db, message_id, now=now, lease_expired=lease_expired)
    # The claim and the read commit together (on Postgres they are one statement): a database failure between
    # them would leave the row "handling" for a worker that is alive, which nothing takes back before the lease.
    with transaction.atomic():
        claimed = (
            Message.objects.filter(id=message_id, direction=Direction.INBOUND)
            .filter(Q(status=Status.RECEIVED) | Q(status=Status.HANDLING, claimed_at__lt=lease_expired))
            .update(status=Status.HANDLING, claimed_at=now, claimed_by=claimant())
        )
        if not claimed:
            return None
        return Message.objects.select_related("conversation", "sender").get(id=message_id)


def _columns(model: type[Model], alias: str) -> str:
    return ", ".join(f'{alias}."{field.column}"' for field in model._meta.concrete_fields)


@cache
def _claim_statement() -> str:
    """The claim and the read of the row, its conversation and its sender, in one statement (Postgres): the
    conditional UPDATE and a select-related read through the ORM cost two round trips and, mostly, the
    compiling of both, about a sixth of the worker's CPU per message (README "Benchmarks", end to end)."""
    message, conversation, member = (model._meta.db_table for model in (Message, Conversation, Member))
    # Only table and column names from the models are interpolated; every value is a parameter.
    return f"""
WITH claimed AS (
    UPDATE {message} SET status = %(handling)s, claimed_at = %(now)s, claimed_by = %(claimed_by)s
    WHERE id = %(id)s AND direction = %(inbound)s
        AND (status = %(received)s OR (status = %(handling)s AND claimed_at < %(lease_expired)s))
    RETURNING *
)
SELECT {_columns(Message, "claimed")}, {_columns(Conversation, "c")}, {_columns(Member, "m")}
FROM claimed JOIN {conversation} c ON c.id = claimed.conversation_id LEFT JOIN {member} m ON m.id = claimed.sender_id
"""  # noqa: S608


def _claim_postgres(
    db: BaseDatabaseWrapper, message_id: int, *, now: datetime, lease_expired: datetime
) -> Message | None:
    params: dict[str, Any] = {
        "id": message_id,
        "inbound": Direction.INBOUND.value,
        "received": Status.RECEIVED.value,
        "handling": Status.HANDLING.value,
        "now": now,
        "lease_expired": lease_expired,
        "claimed_by": claimant(),
    }
    with db.cursor() as cursor:
        cursor.execute(_claim_statement(), params)
        row = cursor.fetchone()
    if row is None:
        return None
    message = _from_row(db, Message, row, 0)
    conversation = _from_row(db, Conversation, row, len(Message._meta.concrete_fields))
    member = _from_row(db, Member, row, len(Message._meta.concrete_fields) + len(Conversation._meta.concrete_fields))
    message.conversation = conversation
    message.sender = member if message.sender_id is not None else None
    return message


M = TypeVar("M", bound=Model)


def _from_row(db: BaseDatabaseWrapper, model: type[M], row: tuple[Any, ...], start: int) -> M:
    """The model's columns taken from ``row`` at ``start``, converted as the ORM converts them."""
    fields = model._meta.concrete_fields
    taken = list(row[start : start + len(fields)])
    for index, field in enumerate(fields):
        if taken[index] is not None and hasattr(field, "from_db_value"):
            taken[index] = field.from_db_value(taken[index], None, db)
    return model.from_db(db.alias, [field.attname for field in fields], taken)


def message_handle(message_id: int, *, send_here: bool = False) -> None:
    """Handle one inbound message: brain → reply in the outbox → mark handled. Safe to call twice. With
    ``send_here`` the reply is sent by this thread after the commit instead of by a task of its own."""
    message = inbound_claim(message_id)
    if message is None:
        return
    try:
        _handle_claimed(message, send_here=send_here)
    except (OperationalError, InterfaceError):
        # The database went away before the row was closed (that transaction rolled back): the row goes back to
        # "received" for the sweeper to hand out once the database is back, not after the lease (minutes).
        through_outage(f"message {message.pk}: handing it back", lambda: _release(message))
        raise


def _handle_claimed(message: Message, *, send_here: bool) -> None:
    # The brain (and the skills it loads) is imported here, in the worker, not by the web process that
    # records messages: every import costs memory in every process.
    from alfred.brain import brain_answer

    try:
        answer = inbound_throttle(message) or inbound_prepare(message) or brain_answer(message)
    except Exception as exc:
        logger.exception("message %s: handling failed", message.pk)
        with transaction.atomic():
            finished = _finish(message, status=Status.FAILED, path="", error=f"{type(exc).__name__}: handling failed")
            if finished:
                conversation_reply(inbound=message, text=apology(message.language), send_here=send_here)
        if finished:
            message_counted(channel=message.channel, direction=Direction.INBOUND, status=Status.FAILED)
        return
    with transaction.atomic():
        finished = _finish(message, status=answer.status, path=answer.path, error=answer.error)
        if finished and answer.text:
            conversation_reply(
                inbound=message, text=answer.text, kind=answer.kind, content=answer.content, send_here=send_here
            )
    if finished:
        message_counted(channel=message.channel, direction=Direction.INBOUND, status=answer.status)


def inbound_throttle(message: Message) -> Answer | None:
    """A member past ``ALFRED_MEMBER_MESSAGES_PER_MINUTE``: the message is closed with no skill, LLM or channel
    work (checked before the channel's preparer, which may transcribe a voice note); the first one over the
    limit in a minute is answered "slow down", the rest are kept without a reply. Strangers are not counted:
    they get at most one refusal a day and no work anyway."""
    member = message.sender
    if member is None or not member.is_active:
        return None
    over = throttled_rank(member.pk, message.created_at)
    if not over:
        return None
    limit = settings.ALFRED_MEMBER_MESSAGES_PER_MINUTE
    message.language = message.language or member.language or "en"
    with translation.override(message.language):
        text = gettext(
            "You are sending messages faster than I can follow, so I am not acting on them for now. "
            "Please wait a minute, then write again."
        )
    return Answer(
        text=text if over == 1 else "",
        path="",
        error=f"throttled: message {limit + over} this minute (limit {limit})",
    )


def inbound_prepare(message: Message) -> Answer | None:
    """The channel's own work before the brain (download and transcribe a voice note, mark as read…).

    A channel's ``prepare(message) -> Answer | None`` may change ``message.text`` in place, or return the
    answer itself (e.g. "voice notes are not enabled").
    """
    prepare = get_channel(message.channel).preparer_function()
    return prepare(message) if prepare is not None else None


def apology(language: str) -> str:
    with translation.override(language or "en"):
        return gettext("Sorry, something went wrong on my side. Please try again in a moment.")


def _release(message: Message) -> None:
    """Give back a claim this worker still holds (a row another worker took after the lease stays with it)."""
    message_update(
        {"id": message.pk, "status": Status.HANDLING, "claimed_at": message.claimed_at},
        status=Status.RECEIVED,
        claimed_by="",
    )


def _finish(message: Message, *, status: str, path: str, error: str = "") -> bool:
    """Close the handling this worker claimed. False when the lease ran out and another worker took the
    message over: then this worker must not reply, or the member would be answered twice."""
    handled_at = timezone.now()
    finished = message_update(
        {"id": message.pk, "status": Status.HANDLING, "claimed_at": message.claimed_at},
        status=status,
        path=path,
        error=error,
        language=message.language,
        handled_at=handled_at,
    )
    if not finished:
        logger.warning("message %s: taken over by another worker after the lease; this reply is dropped", message.pk)
        return False
    # The reply sent from memory (alfred.outbox.outbound_deliver_here) reads the row it answers as it now is.
    message.status, message.path, message.error, message.handled_at = status, path, error, handled_at
    # Recorded here, in the worker and in the transaction that closes the row, not by the webhook: the
    # webhook stays one SQL statement, and a message is audited once however often it was delivered.
    audit_record(
        MESSAGE_INBOUND,
        actor=member_actor(message.sender_id),
        target=f"message:{message.pk}",
        channel=message.channel,
        kind=message.kind,
        status=status,
        path=path,
        conversation=message.conversation_id,
    )
    return True
