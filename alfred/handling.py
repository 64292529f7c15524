"""Handling: the second stage. The worker claims an inbound row, lets the channel prepare it, asks the
brain for the answer and puts the reply in the outbox, closing the row in the same transaction.

A row is claimed with a conditional UPDATE before it is worked on, so two workers never both act, and a
row abandoned by a dead worker is taken again after its lease.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext

from alfred.answer import Answer
from alfred.audit import MESSAGE_INBOUND, audit_record, member_actor
from alfred.channels import get_channel
from alfred.liveness import claimant
from alfred.metrics import message_counted
from alfred.models import Direction, Message, Status
from alfred.outbox import conversation_reply
from alfred.publisher import row_task
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
    claimed = (
        Message.objects.filter(id=message_id, direction=Direction.INBOUND)
        .filter(Q(status=Status.RECEIVED) | Q(status=Status.HANDLING, claimed_at__lt=lease_expired))
        .update(status=Status.HANDLING, claimed_at=now, claimed_by=claimant())
    )
    if not claimed:
        return None
    return Message.objects.select_related("conversation", "sender").get(id=message_id)


def message_handle(message_id: int, *, send_here: bool = False) -> None:
    """Handle one inbound message: brain → reply in the outbox → mark handled. Safe to call twice. With
    ``send_here`` the reply is sent by this thread after the commit instead of by a task of its own."""
    # The brain (and the skills it loads) is imported here, in the worker, not by the web process that
    # records messages: every import costs memory in every process.
    from alfred.brain import brain_answer

    message = inbound_claim(message_id)
    if message is None:
        return
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


def _finish(message: Message, *, status: str, path: str, error: str = "") -> bool:
    """Close the handling this worker claimed. False when the lease ran out and another worker took the
    message over: then this worker must not reply, or the member would be answered twice."""
    handled_at = timezone.now()
    finished = Message.objects.filter(pk=message.pk, status=Status.HANDLING, claimed_at=message.claimed_at).update(
        status=status, path=path, error=error, language=message.language, handled_at=handled_at
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
