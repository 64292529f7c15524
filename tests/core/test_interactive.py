import json

import pytest
from django.utils import translation
from django.utils.translation import gettext

from alfred.inbox import message_record_inbound
from alfred.interactive import button_id, intent_from_button_id
from alfred.models import Direction, Member, Message, Status, ToolCall
from alfred.registry import get_registry


def test_a_button_id_round_trips_its_tool_call():
    value = button_id("ping", {"note": "ñ"})

    assert intent_from_button_id(value) == {"tool": "ping", "args": {"note": "ñ"}}


@pytest.mark.parametrize(
    "value",
    [
        "",
        "hello",
        "alfred:",
        "alfred:{bad json",
        'alfred:{"args": {}}',
        "alfred:[1]",
        'alfred:{"tool": "ping", "args": {"a": NaN}}',
        'alfred:{"tool": "ping", "args": {"a": -Infinity}}',
    ],
)
def test_ids_alfred_did_not_make_carry_no_intent(value):
    assert intent_from_button_id(value) is None


def test_a_button_id_longer_than_the_channel_allows_is_refused_not_cut():
    with pytest.raises(ValueError, match="longer than 256"):
        button_id("ping", {"note": "x" * 300}, max_length=256)
    assert intent_from_button_id(button_id("ping", {"note": "x" * 300})) == {
        "tool": "ping",
        "args": {"note": "x" * 300},
    }


def tap(member, provider_id: str, title: str, intent: dict | None) -> Message:
    """A tapped button as a channel records it: the title as text, the tool call as the intent."""
    message_id = message_record_inbound(
        channel="console",
        provider_message_id=provider_id,
        conversation_external_id="console:tap",
        sender=member,
        text=title,
        raw={},
        kind="interactive",
        intent=intent,
    )
    return Message.objects.get(pk=message_id)


@pytest.mark.django_db(transaction=True)
def test_a_tapped_button_runs_its_tool_without_reading_the_text(member):
    message = tap(member, "tap-1", "Done ✅", intent_from_button_id(button_id("ping", {})))

    message.refresh_from_db()
    assert message.path == "rules"
    assert ToolCall.objects.get(message=message).tool == "ping"
    assert Message.objects.get(direction=Direction.OUTBOUND).text == "pong"


@pytest.mark.django_db(transaction=True)
def test_a_button_naming_an_unknown_tool_is_recorded_as_a_failed_call_not_a_crash(member):
    message = tap(member, "tap-2", "?", {"tool": "launch_rockets", "args": {}})

    call = ToolCall.objects.get(message=message)
    assert not call.ok
    assert "Unknown tool" in json.dumps(call.result)


@pytest.mark.django_db(transaction=True)
def test_a_tool_whose_own_work_breaks_a_unique_constraint_is_a_failed_call_and_the_message_is_answered(
    member, settings
):
    settings.ALFRED_SKILLS = [*settings.ALFRED_SKILLS, "tests.core.llm_skills.clash_skill"]
    get_registry.cache_clear()
    try:
        message_id = message_record_inbound(
            channel="console",
            provider_message_id="tap-3",
            conversation_external_id="console:tap",
            sender=member,
            text="twin",
            raw={},
            kind="interactive",
            intent={"tool": "member_twin", "args": {}},
        )
    finally:
        get_registry.cache_clear()

    message = Message.objects.get(pk=message_id)
    assert message.status == Status.HANDLED and message.path == "rules"
    call = ToolCall.objects.get(message=message)
    assert not call.ok and call.tool == "member_twin"
    with translation.override(message.language):
        assert call.result["text"] == gettext(
            "That did not work: it conflicts with something already saved. Please check and try again."
        )
    reply = Message.objects.get(direction=Direction.OUTBOUND)
    assert reply.text == call.result["text"]
    assert Member.objects.filter(name=member.name).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_tools_buttons_and_card_reach_the_reply_as_typed_content(member, settings):
    from alfred.content import Button, Fact, OutboundContent

    settings.ALFRED_SKILLS = [*settings.ALFRED_SKILLS, "tests.core.card_skills.card_skill"]
    get_registry.cache_clear()
    try:
        message = tap(member, "card-1", "show the card", None)
    finally:
        get_registry.cache_clear()

    reply = Message.objects.get(direction=Direction.OUTBOUND, reply_to=message)
    assert reply.text == "Record: open, 3 items."
    assert OutboundContent.from_json(reply.content) == OutboundContent(
        buttons=(Button(title="Close it", tool="ping"),), facts=(Fact("State", "open"), Fact("Items", "3"))
    )
