"""Fixtures for the work skills: the biz demo data and a way to call a tool as a member."""

import json
import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import translation

from alfred.members import conversation_for
from alfred.models import Direction, Member, Message, Status
from alfred.registry import ToolContext, ToolResult, get_registry

# The Slack stand-in and an owner on Slack, for the inbox digest that goes out as a DM.
from tests.channels_slack.conftest import _forget_members, owner, slack, slack_settings  # noqa: F401
from tests.standins.openai_api import openai_api  # noqa: F401  (a fixture, registered by the import)


@pytest.fixture
def demo(db: None) -> Member:
    """The owner with Acme Corp, Globex and Initech (seed_demo, as `manage.py chat` has them)."""
    call_command("seed_demo", stdout=StringIO())
    return Member.objects.get(name="Owner")


@pytest.fixture
def transactional_demo(transactional_db: None) -> Member:
    call_command("seed_demo", stdout=StringIO())
    return Member.objects.get(name="Owner")


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
    with translation.override(language):
        return found.call(ctx, found.arguments.model_validate(args))


def chat(text: str, *, sender: str = "Owner") -> dict:
    """One message through the terminal channel (inbox → task → brain → outbox), as `manage.py chat --json`."""
    out = StringIO()
    call_command("chat", "--sender", sender, text, "--json", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1, lines
    return json.loads(lines[0])
