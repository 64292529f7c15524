"""Limits that must hold when messages are handled at the same moment (several workers, a burst): one refusal
per stranger and period, and no more LLM turns than the member's cap. Real threads, real Postgres and Redis."""

import pytest

from alfred.console import console_exchange
from alfred.llm.budget import RESERVED
from alfred.models import CompletionKind, Direction, LLMCompletion, Message, Path, Status
from tests.helpers import all_at_once
from tests.standins.openai_api import Reply

RACERS = 20


@pytest.mark.django_db(transaction=True)
def test_a_stranger_writing_20_messages_at_once_gets_exactly_one_refusal(member):
    errors = all_at_once(RACERS, lambda: console_exchange("ping", sender="+1 555 0100"))

    assert errors == []
    inbound = Message.objects.filter(direction=Direction.INBOUND, sender__isnull=True)
    assert inbound.count() == RACERS
    assert set(inbound.values_list("status", flat=True)) == {Status.REFUSED}
    assert Message.objects.filter(direction=Direction.OUTBOUND, kind="refusal").count() == 1


@pytest.mark.django_db(transaction=True)
def test_20_concurrent_free_form_messages_of_one_member_get_exactly_the_hourly_cap_of_llm_turns(
    member, openai_api, settings
):
    settings.ALFRED_LLM_MEMBER_COMPLETIONS_PER_HOUR = 5
    openai_api.default = Reply("Sounds good.")

    errors = all_at_once(RACERS, lambda: console_exchange("what shall we cook tonight?", sender=member.name))

    assert errors == []
    assert len(openai_api.chat_requests) == 5
    paths = list(Message.objects.filter(direction=Direction.INBOUND).values_list("path", flat=True))
    assert sorted(paths).count(Path.LLM) == 5 and paths.count(Path.FALLBACK) == RACERS - 5
    completions = LLMCompletion.objects.filter(kind=CompletionKind.CHAT)
    # Every placeholder became its turn's completion: none left "reserved", one ok row per served turn.
    assert completions.count() == 5 and not completions.filter(error=RESERVED).exists()
    assert completions.filter(ok=True).count() == 5


@pytest.mark.django_db(transaction=True)
def test_a_failed_first_round_fills_the_placeholder_and_counts_against_the_member(member, openai_api, settings):
    from tests.standins.openai_api import Fail

    settings.ALFRED_LLM_MEMBER_COMPLETIONS_PER_HOUR = 1
    openai_api.default = Fail(400, message="bad request")

    first = console_exchange("what shall we cook tonight?", sender=member.name)
    second = console_exchange("and tomorrow?", sender=member.name)

    assert first.path == second.path == Path.FALLBACK
    (row,) = LLMCompletion.objects.filter(kind=CompletionKind.CHAT)
    assert row.ok is False and row.error != RESERVED and row.round == 1
    assert Message.objects.get(text="and tomorrow?").error.startswith("llm_rate: 1 completions")
