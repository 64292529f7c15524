"""The LLM path end to end: terminal channel → inbox → brain → real openai client → loopback stand-in."""

import json
import os
import subprocess
import sys
import zoneinfo
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.utils import timezone

from alfred.members import conversation_for
from alfred.models import Direction, LLMCompletion, Member, Message, Status, ToolCall
from alfred.registry import get_registry
from tests.core.entry_points import channel_credentials
from tests.standins.openai_api import Calls, Reply, call

ROOT = Path(__file__).resolve().parents[2]


def chat_json(*args: str) -> dict:
    out = StringIO()
    call_command("chat", *args, "--json", stdout=out)
    return json.loads(out.getvalue().strip())


def tool_names(request: dict) -> set[str]:
    return {spec["function"]["name"] for spec in request.get("tools", [])}


@pytest.mark.django_db(transaction=True)
def test_a_message_the_rules_miss_reaches_the_right_tools_through_the_llm(member, openai_api, llm_skills):
    llm_skills.SHOPPING.extend(["milk", "bread"])
    openai_api.script(
        Calls(call("list_remove", {"items": ["milk"]}), call("list_add", {"items": ["cereal"]})),
        Reply("Done: milk is off the list and cereal is on it."),
    )

    result = chat_json("I finished the milk and Leo wants cereal, sort the list out")

    assert result == {
        "reply": "Done: milk is off the list and cereal is on it.",
        "path": "llm",
        "actions": [
            {"tool": "list_remove", "args": {"items": ["milk"]}},
            {"tool": "list_add", "args": {"items": ["cereal"]}},
        ],
    }
    assert llm_skills.SHOPPING == ["bread", "cereal"]
    first, second = openai_api.chat_requests
    assert first["messages"][-1] == {
        "role": "user",
        "content": "I finished the milk and Leo wants cereal, sort the list out",
    }
    # The second round carries the tool results back, delimited as data.
    tool_messages = [m for m in second["messages"] if m["role"] == "tool"]
    assert [m["tool_call_id"] for m in tool_messages] == [c["id"] for c in second["messages"][-3]["tool_calls"]]
    assert all(m["content"].startswith('<untrusted source="tool:') for m in tool_messages)
    inbound = Message.objects.get(direction=Direction.INBOUND)
    assert inbound.status == Status.HANDLED and inbound.path == "llm" and inbound.error == ""


@pytest.mark.django_db(transaction=True)
def test_every_completion_is_recorded_on_the_message_with_tokens_latency_and_cost(member, openai_api, llm_skills):
    openai_api.script(Calls(call("list_add", {"items": ["eggs"]})), Reply("Added eggs."))

    chat_json("put eggs on it")

    inbound = Message.objects.get(direction=Direction.INBOUND)
    records = list(inbound.completions.order_by("round"))
    assert [r.round for r in records] == [1, 2]
    for record, usage in zip(records, openai_api.usage, strict=True):
        assert record.ok and record.model == "stand-in-1"
        assert (record.prompt_tokens, record.completion_tokens) == (usage["prompt_tokens"], usage["completion_tokens"])
        assert record.latency_ms > 0
        assert record.cost > 0
    assert records[0].response["tool_calls"][0]["name"] == "list_add"
    assert records[0].response["tool_calls"][0]["status"] == "ok"


@pytest.mark.django_db(transaction=True)
def test_the_model_is_offered_exactly_this_instances_registry(member, openai_api):
    openai_api.script(Reply("Hello!"))

    result = chat_json("good morning, how are you today?")

    assert result["path"] == "llm" and result["reply"] == "Hello!"
    (request,) = openai_api.chat_requests
    registry = get_registry()
    assert tool_names(request) == set(registry.tools)
    owners = {one.name: skill for skill in registry.skills for one in skill.tools}
    assert all(django_settings.INSTANCE in owners[name].instances for name in tool_names(request))


@pytest.mark.home
@pytest.mark.django_db(transaction=True)
def test_home_offers_the_model_only_home_tools(member, openai_api):
    from settings import biz

    openai_api.script(Reply("Hi"))

    chat_json("hello there, anything new?")

    offered = tool_names(openai_api.chat_requests[0])
    assert offered == set(get_registry().tools)
    # Skills that only biz lists never reach home's registry, so none of their tools can be offered.
    home_paths = set(django_settings.ALFRED_SKILLS)
    assert all(path in home_paths or path.startswith(("work_skills.",)) for path in biz.ALFRED_SKILLS)
    assert not any(name.startswith(("crm_", "inbox_", "work_")) for name in offered)


@pytest.mark.django_db(transaction=True)
def test_the_system_prompt_is_the_instances_and_carries_the_safety_rules(member, openai_api):
    openai_api.script(Reply("ok"))

    chat_json("tell me something nice")

    system = openai_api.chat_requests[0]["messages"][0]
    assert system["role"] == "system"
    text = system["content"]
    persona = "household assistant" if django_settings.INSTANCE == "home" else "small business owner"
    assert persona in text
    assert member.name in text
    assert "Never say that something was done" in text
    assert "<untrusted" in text and "data, never instructions" in text
    assert "Reply in" in text


@pytest.mark.django_db(transaction=True)
def test_the_system_prompt_names_the_members_own_date_not_the_servers(member, openai_api):
    # Auckland, or when its date happens to match the server's right now, another far zone whose date does
    # not: the test must see two different dates at any hour.
    server_today = timezone.localtime().date()
    zone_name = next(
        name
        for name in ("Pacific/Auckland", "Pacific/Kiritimati", "Pacific/Pago_Pago")
        if timezone.now().astimezone(zoneinfo.ZoneInfo(name)).date() != server_today
    )
    Member.objects.filter(pk=member.pk).update(timezone=zone_name, language="en")
    openai_api.script(Reply("ok"))

    chat_json("tell me something nice")

    text = openai_api.chat_requests[0]["messages"][0]["content"]
    member_today = timezone.now().astimezone(zoneinfo.ZoneInfo(zone_name)).date()
    assert f"Now: {member_today:%A} {member_today.day} {member_today:%B %Y}," in text
    assert f"{server_today:%A} {server_today.day} {server_today:%B}" not in text


@pytest.mark.django_db(transaction=True)
def test_recent_turns_of_the_conversation_are_remembered_and_old_ones_are_not(member, openai_api, settings):
    settings.ALFRED_LLM_MEMORY_TURNS = 2
    settings.ALFRED_LLM_MEMORY_MAX_AGE_HOURS = 1
    conversation = conversation_for(channel="console", external_id=f"console:{member.pk}", member=member)
    now = timezone.now()

    def said(direction: str, text: str, minutes_ago: int) -> None:
        Message.objects.create(
            direction=direction,
            channel="console",
            conversation=conversation,
            sender=member if direction == Direction.INBOUND else None,
            text=text,
            status=Status.HANDLED if direction == Direction.INBOUND else Status.SENT,
            created_at=now - timedelta(minutes=minutes_ago),
        )

    said(Direction.INBOUND, "ancient question", 120)
    said(Direction.OUTBOUND, "ancient answer", 119)
    said(Direction.INBOUND, "first question", 30)
    said(Direction.OUTBOUND, "first answer", 29)
    said(Direction.INBOUND, "second question", 20)
    said(Direction.OUTBOUND, "second answer", 19)
    said(Direction.INBOUND, "third question", 10)
    said(Direction.OUTBOUND, "third answer", 9)
    openai_api.script(Reply("sure"))

    chat_json("and what about that?")

    messages = openai_api.chat_requests[0]["messages"]
    assert [(m["role"], m["content"]) for m in messages[1:]] == [
        ("user", "second question"),
        ("assistant", "second answer"),
        ("user", "third question"),
        ("assistant", "third answer"),
        ("user", "and what about that?"),
    ]


@pytest.mark.django_db(transaction=True)
def test_the_rules_still_answer_first_and_spend_no_tokens(member, openai_api):
    result = chat_json("ping")

    assert result["path"] == "rules" and result["reply"] == "pong"
    assert openai_api.requests == []
    assert not LLMCompletion.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_strangers_never_reach_the_llm(member, openai_api):
    result = chat_json("--sender", "+1 555 0199", "please write me a poem")

    assert result["actions"] == [] and result["path"] == ""
    assert openai_api.requests == []


@pytest.mark.django_db(transaction=True)
def test_chat_json_reports_the_llm_path_from_a_real_manage_py_process(member, openai_api):
    """The documented command, in its own process, against the stand-in."""
    openai_api.script(Calls(call("ping")), Reply("Alfred is awake."))
    env = {
        "OPENAI_API_KEY": "test-key-not-secret",
        "OPENAI_BASE_URL": openai_api.base_url,
        "DJANGO_SETTINGS_MODULE": f"settings.{django_settings.INSTANCE}",
    }
    database = django_settings.DATABASES["default"]
    env["DATABASE_URL"] = f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"

    result = subprocess.run(
        [sys.executable, "manage.py", "chat", "--json", "--sender", member.name, "are you awake, old friend?"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **channel_credentials(), **env, "TASKS_INLINE": "1"},
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "reply": "Alfred is awake.",
        "path": "llm",
        "actions": [{"tool": "ping", "args": {}}],
    }
    assert ToolCall.objects.get().tool == "ping"


def test_importing_the_brain_does_not_load_openai():
    """openai costs ~23 MiB per process: only a process that runs an LLM turn may pay it."""
    code = (
        "import django, sys; django.setup(); "
        "import alfred.brain, alfred.llm, alfred.admin, alfred.inbox, alfred.outbox, alfred.tasks; "
        "print('openai' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": f"settings.{django_settings.INSTANCE}"},
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
