"""When the endpoint misbehaves: retries with backoff, a fallback that says so, and no tool run twice."""

import json
import socket
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from alfred import handling
from alfred.llm import llm_answer
from alfred.members import conversation_for
from alfred.models import Direction, LLMCompletion, Message, Status, ToolCall
from alfred.registry import ToolContext
from tests.standins.openai_api import Calls, Fail, Model, Reply, Slow, call


def chat_json(*args: str) -> dict:
    out = StringIO()
    call_command("chat", *args, "--json", stdout=out)
    return json.loads(out.getvalue().strip())


def inbound() -> Message:
    return Message.objects.get(direction=Direction.INBOUND)


def assert_fell_back_and_marked(result: dict) -> None:
    assert result["path"] == "fallback"
    assert "ping" in result["reply"]  # the fallback lists what the rules can do
    message = inbound()
    assert message.status == Status.HANDLED
    assert message.error.startswith("llm_unavailable:")
    assert Message.objects.filter(direction=Direction.OUTBOUND, reply_to=message, status=Status.SENT).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_429_is_retried_after_the_servers_retry_after(member, openai_api):
    openai_api.script(Fail(429, retry_after="1"), Reply("Here I am."))

    result = chat_json("are you there at all?")

    assert result["reply"] == "Here I am." and result["path"] == "llm"
    first, second = openai_api.requests
    # Without Retry-After the client's own backoff would wait at most half a second.
    assert second.at - first.at >= 0.9
    assert second.headers.get("x-stainless-retry-count") == "1"


@pytest.mark.django_db(transaction=True)
def test_a_500_mid_turn_then_success_does_not_double_a_tools_effect(member, openai_api, llm_skills):
    openai_api.script(Calls(call("list_add", {"items": ["eggs"]})), Fail(500), Reply("Added eggs."))

    result = chat_json("eggs, we need them")

    assert result["reply"] == "Added eggs."
    assert result["actions"] == [{"tool": "list_add", "args": {"items": ["eggs"]}}]
    assert llm_skills.SHOPPING == ["eggs"]
    assert llm_skills.CALLS == ["list_add"]
    _, failed, retried = openai_api.chat_requests
    assert failed == retried  # the retry resent the same round; the turn was not restarted
    assert ToolCall.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_when_the_llm_is_down_the_user_gets_the_fallback_and_the_message_is_marked(member, openai_api):
    openai_api.default = Fail(500)

    result = chat_json("what should we cook tonight?")

    assert_fell_back_and_marked(result)
    assert "500" in inbound().error
    # One call and exactly two retries, then we stop.
    assert len(openai_api.chat_requests) == 3
    failure = LLMCompletion.objects.get()
    assert not failure.ok and failure.error == "InternalServerError 500"


@pytest.mark.django_db(transaction=True)
def test_an_unreachable_endpoint_gives_the_fallback(member, settings):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.OPENAI_API_KEY = "test-key-not-secret"
    settings.OPENAI_BASE_URL = f"http://127.0.0.1:{port}/v1"

    result = chat_json("what should we cook tonight?")

    assert_fell_back_and_marked(result)
    assert "APIConnectionError" in inbound().error


@pytest.mark.django_db(transaction=True)
def test_a_response_slower_than_the_timeout_gives_the_fallback(member, openai_api, settings):
    settings.ALFRED_LLM_TIMEOUT_SECONDS = 0.3
    openai_api.default = Slow(1.5, Reply("too late"))

    result = chat_json("what should we cook tonight?")

    assert_fell_back_and_marked(result)
    assert "APITimeoutError" in inbound().error
    assert len(openai_api.chat_requests) == 3


@pytest.mark.django_db(transaction=True)
def test_a_slow_response_within_the_timeout_is_waited_for(member, openai_api, settings):
    settings.ALFRED_LLM_TIMEOUT_SECONDS = 5
    openai_api.script(Slow(0.3, Reply("worth the wait")))

    assert chat_json("take your time, old friend")["reply"] == "worth the wait"


@pytest.mark.django_db(transaction=True)
def test_the_model_failing_after_a_tool_ran_reports_what_was_really_done(member, openai_api, llm_skills):
    openai_api.script(Calls(call("list_add", {"items": ["milk"]})))
    openai_api.default = Fail(503)

    result = chat_json("milk please, we ran out")

    assert result["path"] == "llm"
    assert result["reply"] == "Added milk."
    assert inbound().error.startswith("llm_unavailable:")


@pytest.mark.django_db(transaction=True)
def test_a_turn_run_again_after_its_worker_died_replays_the_journal_and_runs_no_tool_twice(
    member, openai_api, llm_skills
):
    conversation = conversation_for(channel="console", external_id="console:retry", member=member)
    message = Message.objects.create(
        direction=Direction.INBOUND,
        channel="console",
        conversation=conversation,
        sender=member,
        text="we are out of milk, sort it",
        status=Status.HANDLING,
        claimed_at=timezone.now() - timedelta(hours=1),
        language="en",
    )
    ctx = ToolContext(member=member, conversation=conversation, message=message, language="en")
    # First attempt: the model calls the tool, then the worker "dies" while waiting for round 2.
    openai_api.script(Calls(call("list_add", {"items": ["milk"]}, id="call_first_run")))
    openai_api.default = Fail(500)
    llm_answer(message, ctx)
    assert llm_skills.SHOPPING == ["milk"]

    def model(body: dict) -> object:
        # A real model re-plans from scratch (new ids) unless it is shown that the call already ran.
        replayed = any(m.get("tool_call_id") == "call_first_run" for m in body["messages"])
        return Reply("Milk is on the list.") if replayed else Calls(call("list_add", {"items": ["milk"]}))

    openai_api.default = Model(model)
    before = len(openai_api.chat_requests)

    handling.message_handle(message.pk)  # the lease ran out; the message is handled again

    message.refresh_from_db()
    assert message.status == Status.HANDLED and message.path == "llm"
    reply = Message.objects.get(direction=Direction.OUTBOUND, reply_to=message)
    assert reply.text == "Milk is on the list."
    assert llm_skills.SHOPPING == ["milk"]
    assert ToolCall.objects.filter(message=message).count() == 1
    # The second run asked the model only for the round that had not been answered.
    assert len(openai_api.chat_requests) == before + 1
    assert list(LLMCompletion.objects.filter(message=message, ok=True).values_list("round", flat=True)) == [1, 2]


@pytest.mark.django_db(transaction=True)
def test_a_429_asking_for_a_long_wait_is_not_retried_and_the_user_gets_the_fallback_now(member, openai_api):
    openai_api.script(Fail(429, retry_after="30"), Reply("too late to matter"))

    result = chat_json("what should we cook tonight?")

    assert_fell_back_and_marked(result)
    assert "RateLimitError 429" in inbound().error
    assert len(openai_api.chat_requests) == 1


@pytest.mark.django_db(transaction=True)
def test_no_new_round_starts_past_half_the_handling_lease(member, openai_api, llm_skills, settings):
    settings.ALFRED_HANDLING_LEASE_SECONDS = 1  # rounds may start for half a second
    openai_api.script(Slow(0.7, Calls(call("list_add", {"items": ["milk"]}))), Reply("never asked"))

    result = chat_json("milk please, we ran out")

    assert result["reply"] == "Added milk."
    assert len(openai_api.chat_requests) == 1
    assert inbound().error == "llm_unavailable: turn deadline passed"
