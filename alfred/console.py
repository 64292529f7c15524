"""The terminal channel: ``manage.py chat`` goes through the same inbox → task → brain → outbox path."""

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q

from alfred.channels import CONSOLE, Sender, channel_descriptions
from alfred.inbox import message_record_inbound
from alfred.models import Direction, Member, Message, Status, ToolCall

FINAL_INBOUND = {Status.HANDLED, Status.REFUSED, Status.FAILED, Status.IGNORED}


class ConsoleSender(Sender):
    """The terminal reads replies from the outbox itself, so sending only needs an id."""

    def send(self, message: Message) -> str:
        return f"console-{uuid.uuid4().hex}"


def member_for_console(sender: str | None) -> Member | None:
    """``--sender`` may be a member's name or any of their addresses, written as a person would (each
    channel normalises it: "+34 600 000 001" finds a WhatsApp number); default: the first admin."""
    members = Member.objects.filter(is_active=True)
    if not sender:
        return members.order_by("-is_admin", "id").first()
    query = Q(name__iexact=sender)
    for description in channel_descriptions():
        address = description.normalise_address(sender)
        if address:
            query |= Q(addresses__channel=description.name, addresses__address=address)
    return members.filter(query).distinct().first()


@dataclass
class Exchange:
    reply: str
    path: str
    actions: list[dict[str, Any]] = field(default_factory=list)
    status: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"reply": self.reply, "path": self.path, "actions": self.actions}


def console_exchange(text: str, *, sender: str | None = None, timeout: float = 30.0) -> Exchange:
    """Send one message as ``sender`` and wait for Alfred's reply (inline tasks answer at once)."""
    member = member_for_console(sender)
    external_id = f"console:{member.pk if member else (sender or 'anonymous')}"
    with transaction.atomic():
        inbound_id = message_record_inbound(
            channel=CONSOLE.name,
            provider_message_id=uuid.uuid4().hex,
            conversation_external_id=external_id,
            sender=member,
            text=text,
            raw={"text": text, "sender": sender},
        )
    if inbound_id is None:  # a fresh uuid is never a redelivery
        raise AssertionError("the console's message was not recorded")
    inbound = Message.objects.get(pk=inbound_id)
    deadline = time.monotonic() + timeout
    while True:
        inbound.refresh_from_db()
        replies = list(inbound.replies.filter(direction=Direction.OUTBOUND).order_by("id"))
        replies_done = all(reply.status not in (Status.QUEUED, Status.SENDING) for reply in replies)
        if (inbound.status in FINAL_INBOUND and replies_done) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    actions = [
        {"tool": call.tool, "args": call.args}
        for call in ToolCall.objects.filter(message=inbound).order_by("created_at", "id")
    ]
    reply = "\n".join(r.text for r in replies if r.status != Status.FAILED)
    if not reply and inbound.status not in FINAL_INBOUND:
        reply = "(no reply yet: is the worker running?)"
    return Exchange(reply=reply, path=inbound.path, actions=actions, status=inbound.status)
