"""Rules first, then the LLM, then a helpful fallback. Both rules and LLM end in the same tool calls."""

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from alfred.answer import Answer
from alfred.content import OutboundContent
from alfred.execution import tool_execute
from alfred.language import language_detect
from alfred.llm import llm_answer, llm_configured
from alfred.models import Direction, Message, Path, Status, ToolCall
from alfred.registry import Intent, ToolContext, get_registry
from alfred.throttle import refusal_claim

logger = logging.getLogger(__name__)


def intent_from_message(message: Message) -> list[Intent] | None:
    """A tapped button carries its tool call; it is run as it is, with the same validation as any call."""
    if not isinstance(message.intent, dict) or not isinstance(message.intent.get("tool"), str):
        return None
    args = message.intent.get("args")
    return [Intent(message.intent["tool"], args if isinstance(args, dict) else {})]


def rules_match(text: str, language: str) -> list[Intent] | None:
    for phrasebook in get_registry().phrasebooks():
        intents = phrasebook.match(text, language)
        if intents:
            return intents
    return None


def brain_answer(message: Message) -> Answer:
    """Decide the reply to one inbound message (the message row is already claimed)."""
    member = message.sender
    text = message.text.strip()[: settings.ALFRED_MAX_MESSAGE_CHARS]
    default_language = member.language if member else "en"
    message.language = language_detect(text, default=default_language) if text else default_language
    with translation.override(message.language):
        if member is None or not member.is_active:
            return refusal(message)
        if not text and not message.intent:
            return Answer(text=_("I got an empty message. Write “help” to see what I can do."), path=Path.FALLBACK)
        ctx = ToolContext(member=member, conversation=message.conversation, message=message, language=message.language)
        intents = intent_from_message(message) or rules_match(text, message.language)
        if intents:
            calls = [tool_execute(ctx=ctx, intent=intent, call_id=f"rules-{n}") for n, intent in enumerate(intents)]
            return Answer(
                text="\n".join(call.result.get("text", "") for call in calls),
                path=Path.RULES,
                content=reply_content(calls),
            )
        if llm_configured():
            answer = llm_answer(message, ctx)
            if answer is not None and answer.text:
                return Answer(text=answer.text, path=answer.path, error=answer.error)
            # The LLM could not help (down, over budget, empty): the fallback, with the reason on the row.
            error = answer.error if answer is not None else "llm: no answer"
            return Answer(text=fallback_text(), path=Path.FALLBACK, error=error)
        return Answer(text=fallback_text(), path=Path.FALLBACK)


def reply_content(calls: list[ToolCall]) -> OutboundContent:
    """What the rules' reply carries besides text: every call's buttons and facts, and "acknowledge" when
    every call was a list change that a reaction may stand for."""
    recorded = [OutboundContent.from_json(call.result) for call in calls]
    return OutboundContent(
        buttons=tuple(button for content in recorded for button in content.buttons),
        facts=tuple(fact for content in recorded for fact in content.facts),
        acknowledge=all(call.ok and call.result.get("acknowledge") is True for call in calls),
    )


def fallback_text() -> str:
    lines = [_("Sorry, I did not understand that. Here is what I can do:")]
    lines += [f"• {summary}" for summary in get_registry().summaries()]
    return "\n".join(lines)


def refusal(message: Message) -> Answer:
    """Strangers get one polite refusal per conversation and day, and no skill access."""
    since = timezone.now() - timedelta(hours=settings.ALFRED_REFUSAL_EVERY_HOURS)
    already = Message.objects.filter(
        conversation=message.conversation, direction=Direction.OUTBOUND, kind="refusal", created_at__gte=since
    ).exists()
    # The stored refusal is only seen once its transaction commits: messages handled at the same moment
    # (a stranger sending several at once, several workers) would each send one. The claim decides.
    already = already or not refusal_claim(message.conversation_id)
    text = "" if already else _("Sorry, I only talk to members of this household. Ask an admin to add you.")
    if settings.INSTANCE == "biz" and text:
        text = _("Sorry, I only work for the members of this workspace. Ask the owner to add you.")
    return Answer(text=text, path="", status=Status.REFUSED, kind="refusal")
