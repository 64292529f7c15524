"""The outbox: the last stage. Replies and notices are rows (``queued → sending → sent → delivered → read``
or ``failed``), sent by a task (a reply: by its handling task, after the commit) that claims its row with one
conditional UPDATE before calling the provider, so a row is sent at most once, and that retries only what the
channel calls transient.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any, TypeVar

from django.conf import settings
from django.db import InterfaceError, OperationalError, connections, transaction
from django.utils import timezone

from alfred.audit import MESSAGE_OUTBOUND, audit_record, member_actor
from alfred.channels import SendError, get_channel
from alfred.content import NO_CONTENT, OutboundContent
from alfred.liveness import claimant
from alfred.log_context import about_message
from alfred.members import conversation_for, member_reach
from alfred.metrics import credential_rejected, message_counted, outbound_failed, reply_sent
from alfred.models import Conversation, Direction, Member, Message, Status
from alfred.publisher import enqueue_on_commit, row_task
from alfred.statements import message_update

logger = logging.getLogger(__name__)

T = TypeVar("T")


@row_task("alfred.tasks.outbound_deliver")
def outbound_deliver_task(message_id: int) -> None:
    outbound_deliver(message_id)


def outbound_deliver(message_id: int, recorded: Message | None = None) -> None:
    """Send one row and, after a transient failure, schedule its retry as a task."""
    outcome = outbound_send(message_id, recorded=recorded)
    # Inline mode has no timer to wait on; the sweeper retries there instead of a busy loop.
    if outcome.retry_in is not None and not outbound_deliver_task.app.conf.task_always_eager:
        outbound_deliver_task.apply_async((message_id,), countdown=outcome.retry_in)


def outbound_deliver_here(message: Message) -> None:
    """Send a row just committed by this worker thread, without a task of its own. A task round (publish,
    consume, ack) cost more worker CPU than the send itself (README "Benchmarks", end to end). Nothing is lost:
    the row was committed ``queued`` first, so if this fails or the worker dies, the task published here or
    the sweeper sends it; nothing doubles: ``outbound_send`` claims the row."""
    with about_message(message.pk):
        try:
            outbound_deliver(message.pk, recorded=message)
        except Exception:
            logger.exception("outbound %s: sending from the handling task failed; handed to its own task", message.pk)
            enqueue_on_commit(outbound_deliver_task, message.pk)


def outbound_record(
    *,
    conversation: Conversation,
    text: str,
    reply_to: Message | None = None,
    proactive: bool = False,
    kind: str = "text",
    content: OutboundContent = NO_CONTENT,
    raw: dict[str, Any] | None = None,
    send_here: bool = False,
) -> Message:
    """Put a message in the outbox; it is sent by a task once this transaction commits, or with
    ``send_here`` by the calling thread right after the commit (a worker that has nothing else to do for it).
    ``raw`` is for the channel's own notes on a row it records itself (a resend); what to send is ``text``
    and ``content``."""
    message = Message.objects.create(
        direction=Direction.OUTBOUND,
        channel=conversation.channel,
        conversation=conversation,
        text=text,
        kind=kind,
        content=content.as_json(),
        raw=raw or {},
        status=Status.QUEUED,
        reply_to=reply_to,
        proactive=proactive,
        language=reply_to.language if reply_to else "",
    )
    if send_here:
        # Right after the commit (at once when there is no transaction): the row must be visible as queued first.
        transaction.on_commit(partial(outbound_deliver_here, message))
    else:
        enqueue_on_commit(outbound_deliver_task, message.pk)
    return message


def conversation_reply(
    *,
    inbound: Message,
    text: str,
    kind: str = "text",
    content: OutboundContent = NO_CONTENT,
    send_here: bool = False,
) -> Message:
    """Answer an inbound message in its own conversation."""
    return outbound_record(
        conversation=inbound.conversation,
        text=text,
        reply_to=inbound,
        kind=kind,
        content=content,
        send_here=send_here,
    )


def message_member(
    *, member: Member, text: str, content: OutboundContent = NO_CONTENT, kind: str = "text"
) -> Message | None:
    """Start a message to a member (a reminder, a notice) on whichever channel reaches them; the channel
    decides how it goes out. None when no installed channel can reach the member."""
    reach = member_reach(member)
    if reach is None:
        return None
    channel, address = reach
    conversation = conversation_for(channel=channel, external_id=address, member=member)
    return outbound_record(conversation=conversation, text=text, proactive=True, kind=kind, content=content)


@dataclass
class SendOutcome:
    sent: bool
    retry_in: float | None = None


def outbound_send(message_id: int, *, recorded: Message | None = None) -> SendOutcome:
    """Send one outbox row exactly once: claim it, call the provider, record the outcome. ``recorded`` is the
    row as its caller has just committed it (with its conversation and the message it answers), which saves
    reading it back."""
    now = timezone.now()
    message = recorded
    if message is None:
        message = (
            Message.objects.select_related("conversation", "reply_to")
            .filter(id=message_id, direction=Direction.OUTBOUND, status=Status.QUEUED)
            .first()
        )
        if message is None:
            return SendOutcome(sent=False)
    # The claim is the last statement before the provider call and commits on its own: a database failure
    # before it leaves the row queued (the sweeper sends it later); "sending" then means the provider may
    # really have been called, which is the one case the sweeper must never send again. Every claim counts an
    # attempt, so a row claimed (and perhaps partly sent, its notes changed) since it was read is not claimed
    # again on what was read.
    claimed_by = claimant()
    claimed = message_update(
        {"id": message.pk, "status": Status.QUEUED, "attempts": message.attempts},
        status=Status.SENDING,
        claimed_at=now,
        claimed_by=claimed_by,
        attempts=message.attempts + 1,
    )
    if not claimed:
        return SendOutcome(sent=False)
    message.status, message.claimed_at, message.claimed_by = Status.SENDING, now, claimed_by
    message.attempts += 1
    try:
        channel = get_channel(message.channel)
    except LookupError as exc:
        logger.error("outbound %s failed for good: %s", message.pk, exc)
        outbound_failed(channel=message.channel, code="config", final=True)
        return _settle(message, status=Status.FAILED, error=str(exc), error_code="config")
    try:
        provider_id = channel.get_sender().send(message)
    except SendError as exc:
        policy = channel.send_policy
        final = exc.permanent or message.attempts >= settings.ALFRED_OUTBOUND_MAX_ATTEMPTS
        outbound_failed(channel=message.channel, code=exc.code, final=final)
        if exc.code in policy.alert_codes:
            credential_rejected(channel=message.channel, code=exc.code)
        if final:
            log = logger.error if exc.code in policy.alert_codes else logger.warning
            log("outbound %s failed for good: %s (code %s)", message.pk, exc.reason, exc.code or "-")
            return _settle(message, status=Status.FAILED, error=exc.reason, error_code=exc.code)
        delay = exc.retry_after if exc.retry_after is not None else policy.retry_delay(message.attempts)
        logger.info("outbound %s: transient failure (%s), retry in %.0fs", message.pk, exc.code or exc.reason, delay)
        Message.objects.filter(pk=message.pk).update(
            status=Status.QUEUED, error=exc.reason, error_code=exc.code, next_attempt_at=now + timedelta(seconds=delay)
        )
        return SendOutcome(sent=False, retry_in=delay)
    return _settle_through_outage(
        message, status=Status.SENT, provider_message_id=provider_id, sent_at=timezone.now(), error="", error_code=""
    )


# Waits between attempts to record a delivered send while the database is away: about half a minute in all,
# what a Postgres restart or failover takes.
SETTLE_RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0)


def through_outage(what: str, action: "Callable[[], T]") -> "T":
    """``action`` (one write) tried again through a short database outage, ``SETTLE_RETRY_DELAYS`` apart; the
    last attempt's failure is the caller's. For a write that must not wait for the sweeper or a lease."""
    for delay in SETTLE_RETRY_DELAYS:
        try:
            return action()
        except (OperationalError, InterfaceError) as exc:
            logger.warning("%s failed (%s), again in %.1fs", what, type(exc).__name__, delay)
        time.sleep(delay)
        for connection in connections.all(initialized_only=True):
            if not connection.in_atomic_block:  # a caller's transaction is the caller's to end
                connection.close_if_unusable_or_obsolete()
    return action()


def _settle_through_outage(message: Message, **fields: Any) -> SendOutcome:
    """The provider has the message: recording that must outlast a short database outage, or the row would
    stay "sending" and the sweeper would later call a delivered reply failed."""
    return through_outage(f"outbound {message.pk} sent; recording it", lambda: _settle(message, **fields))


def _settle(message: Message, *, status: str, error_code: str, **fields: Any) -> SendOutcome:
    """Record a row's fate (sent, or failed for good) and its audit event in one transaction: audited once
    per row, not at every retry, and at no extra commit."""
    rows: dict[str, Any] = {"id": message.pk}
    if status == Status.SENT:
        # Only a row this send still holds: a status report or the sweeper may have moved it on meanwhile.
        rows["status"] = Status.SENDING
    with transaction.atomic():
        message_update(rows, status=status, error_code=error_code, **fields)
        audit_record(
            MESSAGE_OUTBOUND,
            actor="alfred",
            target=f"message:{message.pk}",
            to=member_actor(message.conversation.member_id),
            channel=message.channel,
            kind=message.kind,
            status=status,
            error_code=error_code,
            proactive=message.proactive,
            reply_to=message.reply_to_id,
            attempts=message.attempts,
        )
    message_counted(channel=message.channel, direction=Direction.OUTBOUND, status=status)
    inbound = message.reply_to
    if status == Status.SENT and inbound is not None:
        reply_sent(channel=message.channel, path=inbound.path, received_at=inbound.created_at, sent_at=timezone.now())
    return SendOutcome(sent=status == Status.SENT)
