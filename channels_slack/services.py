"""What the Slack endpoint does with a verified request: record what members said in the inbox and
decide the acknowledgement. Nothing here calls Slack; the answer goes out from the worker (sender)."""

import logging
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from alfred.inbox import InboundFields, message_record_inbound
from alfred.members import members
from channels_slack.channel import SLACK
from channels_slack.schemas import (
    SlackInbound,
    clicks_from,
    command_from,
    message_from_command,
    message_from_event,
)

logger = logging.getLogger(__name__)

# "/alfred ping" is answered in the acknowledgement itself: the cheapest proof that Alfred is reachable.
PING = frozenset({"ping", "ping!", "ping?"})
HELP_INTENT = {"tool": "help", "args": {}}


def team_ours(team_id: str) -> bool:
    """Only the configured workspace is served. Info, not warning: a shared app may reach this URL."""
    if settings.SLACK_TEAM_ID and team_id == settings.SLACK_TEAM_ID:
        return True
    logger.info("slack request from team %r ignored (not this instance's workspace)", team_id[:20])
    return False


def inbound_record(item: SlackInbound) -> int | None:
    """Store one member action once; None when it was already stored (a retry, or the same message under
    another event id) or comes from another workspace."""
    if not team_ours(item.team_id):
        return None
    sender = members.find(channel=SLACK.name, addresses=(item.user_id,))
    now = timezone.now()
    fields = InboundFields(
        channel=SLACK.name,
        provider_message_id=item.provider_id,
        conversation_external_id=item.conversation_id,
        sender=sender,
        text=item.text,
        raw={**item.raw, "reply": item.reply, "user_id": item.user_id, "team_id": item.team_id},
        kind=item.kind,
        received_at=min(item.timestamp, now) if item.timestamp else now,
        intent=item.intent,
    )
    return message_record_inbound(**fields)


def event_record(*, body: Any) -> int | None:
    item = message_from_event(body)
    if item is None:
        return None
    return inbound_record(item)


def command_record(*, body: Any) -> str:
    """Record ``/alfred <text>`` and return the acknowledgement's text ("" = an empty 200: the answer comes
    through the command's response_url). ``ping`` is answered right here, recording nothing."""
    command = command_from(body)
    if command is None or not team_ours(command.team_id):
        return ""
    if command.text.casefold() in PING:
        return "pong"
    limit = settings.ALFRED_MAX_MESSAGE_CHARS
    if len(command.text) > limit:
        return _("That is %(length)s characters; I read at most %(limit)s at a time. Please send it shorter.") % {
            "length": f"{len(command.text):,}",
            "limit": f"{limit:,}",
        }
    if not command.response_url:
        return _("Slack sent this command without a way to answer it. Please message me directly instead.")
    intent = None if command.text else HELP_INTENT
    inbound_record(message_from_command(command, intent=intent))
    return ""


def click_record(*, payload: Any) -> int:
    """Record each Alfred button clicked; the number recorded (0 for clicks on anything else)."""
    return sum(1 for click in clicks_from(payload) if inbound_record(click) is not None)
