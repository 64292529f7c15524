"""Rules first, then the LLM, then a helpful fallback. Both rules and LLM end in the same tool calls."""

import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from pydantic import ValidationError

from alfred.language import language_detect
from alfred.llm import llm_answer, llm_configured
from alfred.models import Direction, Message, Path, Status, ToolCall
from alfred.registry import Intent, ToolContext, ToolResult, get_registry

logger = logging.getLogger(__name__)

EMOJI_OR_SYMBOLS_ONLY = r"^[\W_]+$"


@dataclass
class Answer:
    text: str
    path: str
    status: str = Status.HANDLED
    kind: str = "text"
    raw: dict[str, Any] = field(default_factory=dict)
    error: str = ""


def tool_execute(*, ctx: ToolContext, intent: Intent, call_id: str) -> ToolCall:
    """Validate and run one tool call, recorded with its result. A call already recorded for this message
    and call id is returned as it is, so a retried turn never repeats a tool's effect."""
    done = ToolCall.objects.filter(message=ctx.message, call_id=call_id).first()
    if done is not None:
        return done
    registry = get_registry()
    started = time.perf_counter()
    one = registry.tools.get(intent.tool)
    if one is None:
        result, ok = ToolResult(text=f"Unknown tool {intent.tool!r}", ok=False), False
        return _record(ctx, intent, call_id, result, ok, started)
    try:
        arguments = one.arguments.model_validate(intent.args)
    except ValidationError as exc:
        errors = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        return _record(ctx, intent, call_id, ToolResult(text=f"Invalid arguments: {errors}", ok=False), False, started)
    try:
        with transaction.atomic():
            result = one.call(ctx, arguments)
            return _record(ctx, intent, call_id, result, result.ok, started)
    except IntegrityError:
        # Either a concurrent run of this same turn recorded the call first (and its effect with it), or the
        # tool's own work broke a constraint; its effect was rolled back, so the call is recorded as failed.
        done = ToolCall.objects.filter(message=ctx.message, call_id=call_id).first()
        if done is not None:
            return done
        logger.warning("tool %s: its work conflicted with data already saved (IntegrityError)", intent.tool)
        text = _("That did not work: it conflicts with something already saved. Please check and try again.")
        try:
            with transaction.atomic():
                return _record(ctx, intent, call_id, ToolResult(text=text, ok=False), False, started)
        except IntegrityError:  # a concurrent run recorded it meanwhile
            return ToolCall.objects.get(message=ctx.message, call_id=call_id)


def _record(ctx: ToolContext, intent: Intent, call_id: str, result: ToolResult, ok: bool, started: float) -> ToolCall:
    return ToolCall.objects.create(
        message=ctx.message,
        call_id=call_id,
        tool=intent.tool,
        args=intent.args,
        result={"text": result.text, "data": result.data, "acknowledge": result.acknowledge},
        ok=ok,
        duration_ms=(time.perf_counter() - started) * 1000,
    )


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
                raw={"acknowledge": all(call.ok and call.result.get("acknowledge") for call in calls)},
            )
        if llm_configured():
            answer = llm_answer(message, ctx)
            if answer is not None and answer.text:
                return Answer(text=answer.text, path=answer.path, error=answer.error)
            # The LLM could not help (down, over budget, empty): the fallback, with the reason on the row.
            error = answer.error if answer is not None else "llm: no answer"
            return Answer(text=fallback_text(), path=Path.FALLBACK, error=error)
        return Answer(text=fallback_text(), path=Path.FALLBACK)


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
    text = "" if already else _("Sorry, I only talk to members of this household. Ask an admin to add you.")
    if settings.INSTANCE == "biz" and text:
        text = _("Sorry, I only work for the members of this workspace. Ask the owner to add you.")
    return Answer(text=text, path="", status=Status.REFUSED, kind="refusal")
