"""Fixtures for the home skills: the demo family and a way to call a tool as a member."""

import json
import uuid
from io import StringIO

import pytest
from django.core.management import call_command

from alfred.members import conversation_for
from alfred.models import Direction, Member, Message, Status
from alfred.registry import ToolContext, ToolResult, get_registry


@pytest.fixture
def family(db: None) -> dict[str, Member]:
    """Ana, Leo and Maria with the demo lists and chores (seed_demo, as `make chat` has them)."""
    call_command("seed_demo", stdout=StringIO())
    return {member.name: member for member in Member.objects.all()}


@pytest.fixture
def transactional_family(transactional_db: None) -> dict[str, Member]:
    call_command("seed_demo", stdout=StringIO())
    return {member.name: member for member in Member.objects.all()}


def tool_call(member: Member, tool: str, /, *, language: str = "en", **args: object) -> ToolResult:
    """Run one tool the way the brain does (validated arguments, a real context)."""
    conversation = conversation_for(channel="console", external_id=f"console:{member.pk}", member=member)
    message = Message.objects.create(
        direction=Direction.INBOUND,
        channel="console",
        provider_message_id=uuid.uuid4().hex,
        conversation=conversation,
        sender=member,
        text="(test)",
        status=Status.HANDLING,
    )
    found = get_registry().tools[tool]
    ctx = ToolContext(member=member, conversation=conversation, message=message, language=language)
    from django.utils import translation

    with translation.override(language):
        return found.call(ctx, found.arguments.model_validate(args))


def chat(text: str, *, sender: str = "Ana") -> dict:
    """One message through the terminal channel (inbox → task → brain → outbox), as `manage.py chat --json`."""
    out = StringIO()
    call_command("chat", "--sender", sender, text, "--json", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1, lines
    return json.loads(lines[0])
