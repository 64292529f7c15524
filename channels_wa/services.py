"""What the webhook does with a verified delivery: record its messages in the inbox and apply its
delivery reports to the outbox. Nothing here calls Meta; that happens in the worker (sender, inbound)."""

import logging
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from alfred.content import OutboundContent
from alfred.inbox import InboundFields, clean_text, json_storable, message_record_inbound
from alfred.interactive import intent_from_button_id
from alfred.members import members
from alfred.models import Direction, Member, Message, Status
from alfred.outbox import outbound_record
from channels_wa.channel import WHATSAPP
from channels_wa.models import StatusEvent
from channels_wa.schemas import Change, InboundMessage, StatusUpdate, changes_from

logger = logging.getLogger(__name__)

# Alfred puts "alfred-out:<row id>" in every send's biz_opaque_callback_data; Meta echoes it in statuses,
# which ties a report to its row even before (or without) the row knowing Meta's message id.
TRACKER_PREFIX = "alfred-out:"
# Meta's "re-engagement" error: free-form message outside the 24-hour window.
OUTSIDE_WINDOW = "131047"
# A bigint primary key has at most 19 digits; 18 always fits, and no real tracker comes close.
MAX_TRACKED_ROW_DIGITS = 18

# For each report, the row statuses it may move a row from: a report never moves a row backwards. Never
# from queued: a split reply whose later part waits for a retry shares its tracker with the parts already
# out, and a report of those must leave the row for the retry to claim (the StatusEvent is still kept).
ADVANCES_FROM: dict[str, tuple[str, ...]] = {
    Status.SENT: (Status.SENDING, Status.FAILED),
    Status.DELIVERED: (Status.SENDING, Status.SENT, Status.FAILED),
    Status.READ: (Status.SENDING, Status.SENT, Status.DELIVERED, Status.FAILED),
    Status.FAILED: (Status.SENDING, Status.SENT, Status.FAILED),
}
# "played" (a voice message was listened to) implies read.
REPORTED_AS = {"sent": Status.SENT, "delivered": Status.DELIVERED, "read": Status.READ, "played": Status.READ}


def tracker_for(message: Message) -> str:
    return f"{TRACKER_PREFIX}{message.pk}"


@dataclass
class DeliveryReport:
    messages_recorded: int = 0
    messages_repeated: int = 0
    statuses_applied: int = 0
    statuses_repeated: int = 0
    ignored_changes: int = 0


def delivery_record(*, payload: Any) -> DeliveryReport:
    """Record one verified webhook body, all or nothing: if the database fails halfway, no row of it stays
    and Meta's retry of the whole body finds nothing half-written."""
    report = DeliveryReport()
    changes = []
    for change in changes_from(payload):
        if _ours(change):
            changes.append(change)
        else:
            report.ignored_changes += 1
    records = sum(len(change.messages) + len(change.statuses) for change in changes)
    # A single record is atomic by itself; only a body carrying several needs the outer transaction
    # (and its savepoints), which the common one-message delivery is spared.
    with transaction.atomic() if records > 1 else nullcontext():
        for change in changes:
            for error in change.errors:
                logger.warning("whatsapp reported a webhook error: code %s %s", error.get("code"), error.get("title"))
            for message in change.messages:
                if not message.address:
                    logger.warning("whatsapp message %s has no sender address; ignored", message.id[:80])
                    continue
                # The phone number first: it is what the family typed into the admin.
                sender = members.find(channel=WHATSAPP.name, addresses=(message.wa_id, message.user_id))
                if message_record_inbound(**inbound_fields(message, sender)) is not None:
                    report.messages_recorded += 1
                else:
                    report.messages_repeated += 1
            for status in change.statuses:
                if status_record(update=status):
                    report.statuses_applied += 1
                else:
                    report.statuses_repeated += 1
    return report


def _ours(change: Change) -> bool:
    if change.field != "messages":
        logger.info("whatsapp webhook field %r ignored", change.field[:40])
        return False
    if not settings.PHONE_ID or change.phone_number_id != settings.PHONE_ID:
        # Another number of the same Meta app (biz's second number, say): never answered from here. Info,
        # not warning: that number's whole traffic may reach this URL.
        logger.info(
            "whatsapp delivery for phone_number_id %r ignored (not this instance's)", change.phone_number_id[:40]
        )
        return False
    return True


def inbound_fields(message: InboundMessage, sender: Member | None) -> InboundFields:
    """What the inbox stores of one WhatsApp message."""
    now = timezone.now()
    received_at = min(message.timestamp, now) if message.timestamp else now
    return InboundFields(
        channel=WHATSAPP.name,
        provider_message_id=message.id,
        conversation_external_id=message.address,
        sender=sender,
        text=message.text,
        raw={"message": message.raw, "wa_id": message.wa_id, "user_id": message.user_id},
        kind=message.kind,
        received_at=received_at,
        intent=intent_from_button_id(message.button_id) if message.button_id else None,
    )


def status_record(*, update: StatusUpdate) -> bool:
    """Apply one delivery report. Returns False for a report already seen (same message id and status)."""
    with transaction.atomic():
        row = _outbound_for(update)
        _, created = StatusEvent.objects.get_or_create(
            provider_message_id=update.id,
            status=update.status,
            defaults={
                "message": row,
                "error_code": clean_text(update.error_code)[:32],
                "error_title": clean_text(update.error_title)[:255],
                "recipient_id": clean_text(update.recipient_id)[:64],
                "occurred_at": update.timestamp,
                "raw": json_storable(update.raw),
            },
        )
        if not created:
            return False
        if row is not None:
            _advance(row, update)
    return True


def _outbound_for(update: StatusUpdate) -> Message | None:
    rows = Message.objects.filter(channel=WHATSAPP.name, direction=Direction.OUTBOUND)
    row = rows.filter(provider_message_id=update.id).first()
    if row is None and update.tracker.startswith(TRACKER_PREFIX):
        row_id = update.tracker[len(TRACKER_PREFIX) :]
        # Only what a bigint primary key can be: "١٢" is a digit to str.isdigit, and 10**30 overflows.
        if row_id.isascii() and row_id.isdigit() and len(row_id) <= MAX_TRACKED_ROW_DIGITS:
            row = rows.filter(pk=int(row_id)).first()
    return row


def _advance(row: Message, update: StatusUpdate) -> None:
    new_status = Status.FAILED if update.status == "failed" else REPORTED_AS.get(update.status)
    if new_status is None:
        return
    rows = Message.objects.filter(pk=row.pk, status__in=ADVANCES_FROM[new_status])
    if new_status != Status.FAILED:
        # A row Meta itself reported failed stays failed; one Alfred gave up on (a send whose answer
        # never came) is corrected by the proof that it went out.
        rows = rows.exclude(whatsapp_statuses__status="failed")
    changes: dict[str, Any] = {"status": new_status}
    if row.provider_message_id is None:
        changes["provider_message_id"] = update.id
    if new_status == Status.FAILED:
        changes.update(
            error_code=clean_text(update.error_code)[:32],
            error=clean_text(update.error_title) or "failed (reported by WhatsApp)",
        )
    else:
        changes.update(error="", error_code="")
        if row.sent_at is None:
            changes["sent_at"] = update.timestamp or timezone.now()
    if not rows.update(**changes):
        return
    if new_status == Status.FAILED and update.error_code == OUTSIDE_WINDOW:
        _resend_as_template(row)


def _resend_as_template(row: Message) -> None:
    """Meta refused a free-form message because the 24-hour window had closed. A reminder goes again as the
    approved template (once: this runs only for the first "failed" report of that message)."""
    content = OutboundContent.from_json(row.content)
    already_forced = isinstance(row.raw, dict) and row.raw.get("force_template")
    if content.notice_values is None or already_forced:
        logger.warning("outbound %s: outside the 24-hour window and no template applies; left failed", row.pk)
        return
    resend = outbound_record(
        conversation=row.conversation,
        text=row.text,
        proactive=True,
        kind=row.kind,
        content=content,
        raw={"force_template": True, "fallback_for": row.pk},
    )
    logger.info("outbound %s: outside the 24-hour window; resent as template in %s", row.pk, resend.pk)
