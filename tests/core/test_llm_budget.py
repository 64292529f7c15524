"""Budget and cost: a daily token budget per instance, a rate per member, and usage in the admin."""

import json
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from alfred.llm.budget import cost_estimate, tokens_used_today
from alfred.members import conversation_for
from alfred.models import LLMCompletion, Member, Message
from tests.standins.openai_api import Reply


def chat_json(*args: str) -> dict:
    out = StringIO()
    call_command("chat", *args, "--json", stdout=out)
    return json.loads(out.getvalue().strip())


@pytest.mark.django_db(transaction=True)
def test_past_the_daily_token_budget_alfred_answers_with_the_rules_only_and_says_so(member, openai_api, settings):
    settings.ALFRED_LLM_DAILY_TOKEN_BUDGET = 50  # less than one prompt: the first turn spends it all
    openai_api.default = Reply("A lovely idea.")

    first = chat_json("what could we do this weekend?")
    second = chat_json("and next weekend?")
    rules = chat_json("ping")

    assert first["path"] == "llm"
    assert tokens_used_today() > 50
    assert second["path"] == "fallback"
    assert "allowance" in second["reply"] or "permitido" in second["reply"]
    assert "ping" in second["reply"]  # what still works
    assert Message.objects.get(text="and next weekend?").error.startswith("llm_budget: daily token budget spent")
    assert rules == {"reply": "pong", "path": "rules", "actions": [{"tool": "ping", "args": {}}]}
    assert len(openai_api.chat_requests) == 1


@pytest.mark.django_db(transaction=True)
def test_yesterdays_tokens_do_not_count_against_today(member, openai_api, settings):
    settings.ALFRED_LLM_DAILY_TOKEN_BUDGET = 1000
    LLMCompletion.objects.create(
        model="m", prompt_tokens=5000, completion_tokens=5000, created_at=timezone.now() - timedelta(days=1, hours=1)
    )
    openai_api.script(Reply("Sure."))

    assert chat_json("a fresh day, a fresh question")["path"] == "llm"


@pytest.mark.django_db(transaction=True)
def test_a_member_past_the_hourly_rate_gets_rules_only_while_others_are_still_served(member, openai_api, settings):
    settings.ALFRED_LLM_MEMBER_COMPLETIONS_PER_HOUR = 2
    other = Member.objects.create(name="Leo", language="en")
    openai_api.default = Reply("Fine.")

    answers = [chat_json("--sender", member.name, f"free-form question number {n}") for n in range(3)]
    others = chat_json("--sender", other.name, "a question from someone else")

    assert [a["path"] for a in answers] == ["llm", "llm", "fallback"]
    assert "hour" in answers[2]["reply"] or "hora" in answers[2]["reply"]
    assert Message.objects.get(text="free-form question number 2").error.startswith("llm_rate:")
    assert others["path"] == "llm"


def test_the_cost_estimate_uses_the_configured_prices(settings):
    settings.ALFRED_LLM_COST_PER_1K_INPUT = "0.15"
    settings.ALFRED_LLM_COST_PER_1K_OUTPUT = "0.60"

    assert cost_estimate(prompt_tokens=2000, completion_tokens=500) == Decimal("0.600000")


@pytest.mark.django_db
def test_completions_are_visible_on_the_message_and_summed_per_day_in_the_admin(client, member, settings):
    settings.ALFRED_LLM_DAILY_TOKEN_BUDGET = 10_000
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)
    conversation = conversation_for(channel="console", external_id="c", member=member)
    message = Message.objects.create(
        direction="in", channel="console", conversation=conversation, text="hi", status="handled", sender=member
    )
    now = timezone.now()
    for round_no, (prompt, written) in enumerate([(1200, 40), (1300, 60)], start=1):
        LLMCompletion.objects.create(
            message=message,
            round=round_no,
            model="gpt-test-mini",
            prompt_tokens=prompt,
            completion_tokens=written,
            cost=Decimal("0.0002"),
            latency_ms=400,
        )
    LLMCompletion.objects.create(
        model="gpt-test-mini", prompt_tokens=900, completion_tokens=100, created_at=now - timedelta(days=2)
    )

    page = client.get(f"/admin/alfred/message/{message.pk}/change/")
    usage = client.get("/admin/alfred/llmcompletion/usage/")
    listing = client.get("/admin/alfred/llmcompletion/")

    assert page.status_code == 200
    assert "gpt-test-mini" in page.content.decode() and "1300" in page.content.decode()
    assert usage.status_code == 200
    days = usage.context["days"]
    assert [(d["day"], d["tokens"], d["completions"], d["messages"]) for d in days] == [
        (timezone.localdate(now), 2600, 2, 1),
        (timezone.localdate(now - timedelta(days=2)), 1000, 1, 0),
    ]
    assert "26 %" in usage.content.decode()  # 2,600 of a 10,000 budget
    assert listing.status_code == 200 and "Usage per day" in listing.content.decode()
