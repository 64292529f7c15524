"""What the model is shown: the instance's system prompt, the conversation so far, the tools, and tool
output wrapped as untrusted data."""

import json
import zoneinfo
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from alfred.models import Direction, Language, Member, Message, Status
from alfred.registry import Registry

# Earlier messages are context, not the request: a few hundred characters each is enough.
MEMORY_CHARS = 600
# Tool output beyond this is cut before the model sees it (the ToolCall row keeps all of it).
TOOL_OUTPUT_CHARS = 4000
# The prompt is in English, so the language is named in English too.
LANGUAGE_NAMES: dict[str, str] = {Language.EN: "English", Language.ES: "Spanish"}


def system_prompt(*, member: Member, language: str) -> str:
    members = list(Member.objects.filter(is_active=True).values_list("name", flat=True)[:50])
    # The member's own clock, as the tools reckon "today" (the server's zone may be a day off); the
    # template's date filter shows times in the active zone, hence the override rather than a converted now.
    with timezone.override(member_zone(member)):
        return render_to_string(
            f"prompts/{settings.INSTANCE}.txt",
            {
                "member": member,
                "members": members,
                "language": LANGUAGE_NAMES.get(language, language),
                "now": timezone.localtime(),
            },
        ).strip()


def member_zone(member: Member) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(member.timezone or settings.ALFRED_DEFAULT_TIMEZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.ALFRED_DEFAULT_TIMEZONE)


def memory(message: Message) -> list[dict[str, Any]]:
    """The last exchanges of this conversation before ``message``, oldest first, as chat messages."""
    since = message.created_at - timedelta(hours=settings.ALFRED_LLM_MEMORY_MAX_AGE_HOURS)
    rows = (
        Message.objects.filter(conversation_id=message.conversation_id, id__lt=message.pk, created_at__gte=since)
        .exclude(text="")
        .exclude(kind__in=["refusal", "reaction"])
        .exclude(status__in=[Status.FAILED, Status.REFUSED, Status.IGNORED])
        .order_by("-id")
        .values_list("direction", "text")[: 2 * settings.ALFRED_LLM_MEMORY_TURNS]
    )
    turns = []
    for direction, text in reversed(rows):
        role = "user" if direction == Direction.INBOUND else "assistant"
        turns.append({"role": role, "content": text[:MEMORY_CHARS]})
    return turns


def _without_titles(schema: Any) -> Any:
    """Pydantic's generated titles repeat the field names: tokens the model does not need."""
    if isinstance(schema, list):
        return [_without_titles(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    cleaned: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "title" and isinstance(value, str):
            continue
        if key in ("properties", "$defs") and isinstance(value, dict):
            # Keys here are field names, which may themselves be called "title".
            cleaned[key] = {name: _without_titles(sub) for name, sub in value.items()}
        else:
            cleaned[key] = _without_titles(value)
    return cleaned


def tool_specs(registry: Registry) -> list[dict[str, Any]]:
    """The instance's tools in the Chat Completions format. Only this registry's tools exist for the model:
    home never sees a biz tool because home's registry has none."""
    return [
        {
            "type": "function",
            "function": {
                "name": one.name,
                "description": one.description[:1000],
                "parameters": _without_titles(one.json_schema()),
            },
        }
        for one in registry.tools.values()
    ]


def untrusted(source: str, payload: Any) -> str:
    """Content the user did not write, delimited so the model can tell it from instructions. Angle brackets
    inside are escaped, so the content cannot close the delimiter and pose as ours."""
    body = json.dumps(payload, ensure_ascii=False, default=str)
    if len(body) > TOOL_OUTPUT_CHARS:
        body = json.dumps({"truncated": body[:TOOL_OUTPUT_CHARS]}, ensure_ascii=False)
    body = body.replace("<", "\\u003c").replace(">", "\\u003e")
    return f'<untrusted source="{source}">\n{body}\n</untrusted>'
