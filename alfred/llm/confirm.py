"""Confirmation for destructive tools.

When the model asks for a tool marked ``destructive``, nothing runs: the call is stored as a
``PendingAction`` and Alfred asks the user. It runs only if the *same member's next message* in that
conversation is a plain yes (decided here, by fixed words — never by the model), within
``ALFRED_LLM_CONFIRM_MINUTES``. A no cancels it; anything else lets it expire and is handled as usual.
"""

import json
import re
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from alfred.execution import tool_execute
from alfred.models import Direction, Message, PendingAction, PendingStatus
from alfred.registry import Intent, ToolContext
from alfred.rules.phrasebook import strip_filler

YES = re.compile(
    r"(?:yes|yep|yeah|y|sure|ok|okay|confirm|confirmed|go ahead|do it|yes do it|"
    r"s[ií]|vale|dale|claro|confirmo|confirmado|adelante|hazlo|s[ií] hazlo|de acuerdo|👍)",
    re.IGNORECASE,
)
PUNCTUATION = re.compile(r"[\s,.;:!¡?¿]+")
NO = re.compile(
    r"(?:no|nope|nah|cancel|stop|don'?t|do not|no thanks|"
    r"cancela|cancelar|d[eé]jalo|mejor no|no lo hagas|👎)",
    re.IGNORECASE,
)


def describe(tool: str, args: dict[str, object]) -> str:
    if not args:
        return tool
    return f"{tool} {json.dumps(args, ensure_ascii=False)}"


def confirmation_question(actions: list[PendingAction]) -> str:
    lines = [_("This one needs your confirmation. Shall I go ahead? Reply “yes” to confirm; anything else cancels.")]
    lines += [f"• {describe(action.tool, action.args)}" for action in actions]
    return "\n".join(lines)


def pending_for(message: Message) -> list[PendingAction]:
    """The actions waiting for exactly this message: proposed to this member, in this conversation, by
    their previous message, and not too long ago."""
    if message.sender_id is None:
        return []
    actions = list(
        PendingAction.objects.filter(
            conversation_id=message.conversation_id, status=PendingStatus.PENDING, message_id__lt=message.pk
        ).select_related("message")
    )
    if not actions:
        return []
    fresh_after = timezone.now() - timedelta(minutes=settings.ALFRED_LLM_CONFIRM_MINUTES)
    latest = max(action.message_id for action in actions)
    spoke_since = Message.objects.filter(
        conversation_id=message.conversation_id,
        direction=Direction.INBOUND,
        sender_id=message.sender_id,
        id__gt=latest,
        id__lt=message.pk,
    ).exists()
    valid = [
        action
        for action in actions
        if action.message_id == latest
        and action.member_id == message.sender_id
        and action.created_at >= fresh_after
        and not spoke_since
    ]
    stale = [action.pk for action in actions if action not in valid]
    if stale:
        PendingAction.objects.filter(pk__in=stale, status=PendingStatus.PENDING).update(
            status=PendingStatus.EXPIRED, resolved_at=timezone.now()
        )
    return valid


def confirmation_resolve(message: Message, ctx: ToolContext) -> str | None:
    """If ``message`` answers a pending confirmation, act on it and return the reply; otherwise None
    (and any pending action for this conversation has expired)."""
    answered = list(PendingAction.objects.filter(resolved_by=message).exclude(status=PendingStatus.EXPIRED))
    if answered:  # this message was already handled once (a retry): give the same answer, run nothing twice
        if answered[0].status == PendingStatus.CONFIRMED:
            return _run(answered, ctx)
        return _("OK, I have not done it.")
    actions = pending_for(message)
    if not actions:
        return None
    text = PUNCTUATION.sub(" ", strip_filler(message.text.strip())).strip()
    ids = [action.pk for action in actions]
    if YES.fullmatch(text):
        # Claim first, so two handlings of this "yes" cannot both take the actions.
        PendingAction.objects.filter(pk__in=ids, status=PendingStatus.PENDING).update(
            status=PendingStatus.CONFIRMED, resolved_by=message, resolved_at=timezone.now()
        )
        confirmed = list(PendingAction.objects.filter(pk__in=ids, resolved_by=message, status=PendingStatus.CONFIRMED))
        return _run(confirmed, ctx) if confirmed else None
    status = PendingStatus.DECLINED if NO.fullmatch(text) else PendingStatus.EXPIRED
    PendingAction.objects.filter(pk__in=ids, status=PendingStatus.PENDING).update(
        status=status, resolved_by=message, resolved_at=timezone.now()
    )
    if status == PendingStatus.DECLINED:
        return _("OK, I have not done it.")
    return None


def _run(actions: list[PendingAction], ctx: ToolContext) -> str:
    calls = [
        tool_execute(ctx=ctx, intent=Intent(action.tool, action.args), call_id=f"confirm-{action.pk}")
        for action in actions
    ]
    return "\n".join(call.result.get("text", "") for call in calls)
