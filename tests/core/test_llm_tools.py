"""The model's mistakes go back to it as tool errors; the turn never crashes and stays bounded."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from alfred.models import LLMCompletion, ToolCall
from tests.standins.openai_api import Calls, Model, Reply, call


def chat_json(*args: str) -> dict:
    out = StringIO()
    call_command("chat", *args, "--json", stdout=out)
    return json.loads(out.getvalue().strip())


def tool_answers(body: dict) -> list[str]:
    return [m["content"] for m in body["messages"] if m["role"] == "tool"]


@pytest.mark.django_db(transaction=True)
def test_malformed_arguments_unknown_tools_and_wrong_types_are_recovered(member, openai_api, llm_skills):
    openai_api.script(
        Calls(call("list_add", '{"items": ["eggs"'), call("list_addd", {"items": ["eggs"]})),
        Calls(call("list_add", {"items": "eggs"})),
        Calls(call("list_add", {"items": ["eggs"]})),
        Reply("Added eggs."),
    )

    result = chat_json("eggs, we need eggs")

    assert result["reply"] == "Added eggs." and result["path"] == "llm"
    assert llm_skills.SHOPPING == ["eggs"]
    first_errors = tool_answers(openai_api.chat_requests[1])
    assert first_errors[0].startswith("Error: invalid arguments: not valid JSON")
    assert "Unknown tool 'list_addd'" in first_errors[1]
    assert "items" in tool_answers(openai_api.chat_requests[2])[-1]  # which field was wrong
    calls = list(ToolCall.objects.values_list("tool", "ok"))
    assert calls == [("list_add", False), ("list_addd", False), ("list_add", False), ("list_add", True)]


@pytest.mark.django_db(transaction=True)
def test_a_model_that_never_stops_calling_tools_is_cut_off_after_the_configured_rounds(
    member, openai_api, llm_skills, settings
):
    settings.ALFRED_LLM_MAX_TOOL_ROUNDS = 2
    openai_api.default = Model(lambda body: Calls(call("list_show")))

    result = chat_json("show me the list again and again")

    requests = openai_api.chat_requests
    assert len(requests) == 3
    assert [r["tool_choice"] for r in requests] == ["auto", "auto", "none"]
    assert llm_skills.CALLS == ["list_show", "list_show"]
    assert result["reply"].startswith("On the list:")
    last = LLMCompletion.objects.get(round=3)
    assert {c["status"] for c in last.response["tool_calls"]} == {"ignored"}


@pytest.mark.django_db(transaction=True)
def test_a_server_that_reuses_call_ids_every_round_still_gets_each_call_run(member, openai_api, llm_skills):
    # Some compatible servers number calls per response ("call_0" each time); distinct calls stay distinct.
    openai_api.script(
        Calls(call("list_add", {"items": ["tea"]}, id="call_0")),
        Calls(call("list_add", {"items": ["jam"]}, id="call_0"), call("list_add", {"items": ["oats"]}, id="")),
        Reply("Tea, jam and oats are on the list."),
    )

    chat_json("tea and then jam and oats")

    assert llm_skills.SHOPPING == ["tea", "jam", "oats"]
    assert list(ToolCall.objects.values_list("call_id", flat=True)) == ["call_0", "r2-0", "r2-1"]
    assert [m.get("tool_call_id") for m in openai_api.chat_requests[2]["messages"] if m["role"] == "tool"] == [
        "call_0",
        "call_0",
        "r2-1",
    ]


@pytest.mark.django_db(transaction=True)
def test_tool_schemas_are_sent_without_noise(member, openai_api, llm_skills):
    openai_api.script(Reply("ok"))

    chat_json("anything at all, really")

    specs = {s["function"]["name"]: s["function"] for s in openai_api.chat_requests[0]["tools"]}
    add = specs["list_add"]
    assert add["description"] == "Add items to the shopping list."
    assert add["parameters"]["properties"] == {"items": {"items": {"type": "string"}, "type": "array"}}
    assert add["parameters"]["required"] == ["items"]
    assert "title" not in json.dumps(add["parameters"])
