"""Through the terminal channel on Postgres (inbox → task → brain → outbox), as
`manage.py chat --settings=settings.biz --sender Owner --json "…"` does it."""

import pytest

from tests.work_skills.conftest import chat
from work_skills.models import Note

pytestmark = [pytest.mark.biz, pytest.mark.django_db(transaction=True)]


def test_the_owner_asks_for_the_acme_deal_and_gets_its_status_from_the_rules(transactional_demo):
    result = chat("what's the status of the Acme deal?")

    assert result["path"] == "rules"
    assert result["actions"] == [{"tool": "crm_deal_status", "args": {"company": "Acme Corp"}}]
    assert result["reply"].startswith("Acme Corp — Acme platform licence: negotiation, 12,000 EUR")


def test_a_spanish_question_gets_a_spanish_reply(transactional_demo):
    result = chat("¿qué tratos se cierran este mes?")

    assert result["actions"] == [{"tool": "crm_deals_closing", "args": {"period": "this_month"}}]
    assert result["reply"].startswith("1 trato con cierre previsto entre el ")


def test_a_note_by_chat_is_stored_once_and_a_negation_or_hypothetical_stores_nothing(transactional_demo):
    written = chat("note for Acme: Jane will sign on Friday")
    negated = chat("don't note that")
    hypothetical = chat("if Acme calls, note that they want a discount")

    assert written["actions"] == [
        {"tool": "crm_note_add", "args": {"company": "Acme Corp", "text": "Jane will sign on Friday"}}
    ]
    assert negated["actions"] == hypothetical["actions"] == []
    assert list(Note.objects.filter(author__name="Owner").values_list("text", flat=True)) == [
        "Jane will sign on Friday",
        "Jane asked for a 5% discount on a two-year term.",
    ]
