"""WhatsApp → LLM → home tools, end to end: a signed delivery through the real webhook view, the inbox, the
brain, the real ``openai`` client against the OpenAI-compatible stand-in, the home skills' services on
Postgres, and the reply at the Graph API stand-in."""

import pytest

from alfred.brain import rules_match
from alfred.models import Direction, Member, Message, PendingAction, PendingStatus, Status, ToolCall
from home_skills import selectors
from home_skills.models import Item, ItemState, ShoppingList
from home_skills.services.lists import (
    grocery_items_add,
    grocery_items_mark_bought,
    item_spec,
    shopping_list_get_or_create,
)
from tests.channels_wa.conftest import deliver, sample, values, vary_ids
from tests.standins.graph_api import GraphAPIStandIn
from tests.standins.openai_api import Calls, OpenAIStandIn, Reply, call

pytestmark = [pytest.mark.home, pytest.mark.django_db(transaction=True)]

SORT_IT_OUT = "I finished the milk and Leo wants cereal, sort the list out"
TIDY_UP = "the ticked-off stuff is cluttering everything, tidy it away"


def text_message(text: str) -> dict:
    """The sample text delivery with its own message id and ``text`` as the body."""
    body = vary_ids(sample("message", "text"))
    values(body)[0]["messages"][0]["text"]["body"] = text
    return body


def groceries_with(member: Member, *names: str) -> ShoppingList:
    shopping_list = shopping_list_get_or_create(name=None)
    specs = [item_spec(name=name) for name in names]
    grocery_items_add(shopping_list=shopping_list, items=specs, member=member)
    return shopping_list


def names(items: list[Item]) -> list[str]:
    return sorted(item.name for item in items)


def inbound_for(body: dict) -> Message:
    (message_id,) = [m["id"] for m in values(body)[0]["messages"]]
    return Message.objects.get(direction=Direction.INBOUND, provider_message_id=message_id)


def test_a_whatsapp_message_the_rules_miss_reaches_the_home_tools_through_the_llm(
    client, wa_settings, graph: GraphAPIStandIn, ana: Member, openai_api: OpenAIStandIn
):
    groceries = groceries_with(ana, "milk", "bread")
    assert rules_match(SORT_IT_OUT, "en") is None  # this one is the LLM's, not the phrasebooks'
    openai_api.script(
        Calls(
            call("grocery_bought", {"items": [{"name": "milk"}]}),
            call("grocery_add", {"items": [{"name": "cereal"}]}),
        ),
        Reply("Milk is checked off and cereal is on the list."),
    )
    body = text_message(SORT_IT_OUT)

    response = deliver(client, body)

    assert response.status_code == 200
    assert names(selectors.items_open(groceries)) == ["bread", "cereal"]
    assert names(selectors.items_recently_bought(groceries)) == ["milk"]
    inbound = inbound_for(body)
    assert (inbound.status, inbound.path, inbound.error) == (Status.HANDLED, "llm", "")
    assert [(c.tool, c.args, c.ok) for c in ToolCall.objects.filter(message=inbound)] == [
        ("grocery_bought", {"items": [{"name": "milk"}]}, True),
        ("grocery_add", {"items": [{"name": "cereal"}]}, True),
    ]
    (sent,) = graph.sends()
    assert sent["type"] == "text" and sent["text"]["body"] == "Milk is checked off and cereal is on the list."
    assert sent["to"] == values(body)[0]["messages"][0]["from"]
    assert sent["context"] == {"message_id": inbound.provider_message_id}
    first, second = openai_api.chat_requests
    assert first["messages"][-1] == {"role": "user", "content": SORT_IT_OUT}
    offered = {spec["function"]["name"] for spec in first["tools"]}
    assert {"grocery_bought", "grocery_add", "grocery_clear_bought"} <= offered
    assert [m["tool_call_id"] for m in second["messages"] if m["role"] == "tool"] == [
        c["id"] for c in first_tool_calls(second)
    ]
    assert [r.round for r in inbound.completions.order_by("round")] == [1, 2]


def first_tool_calls(request: dict) -> list[dict]:
    (assistant,) = [m for m in request["messages"] if m["role"] == "assistant" and m.get("tool_calls")]
    return assistant["tool_calls"]


def test_a_destructive_tool_the_model_proposes_waits_for_a_yes_sent_on_whatsapp(
    client, wa_settings, graph: GraphAPIStandIn, ana: Member, openai_api: OpenAIStandIn
):
    groceries = groceries_with(ana, "milk", "bread")
    (milk,) = Item.objects.filter(shopping_list=groceries, name="milk")
    grocery_items_mark_bought(items=[milk], member=ana)
    assert rules_match(TIDY_UP, "en") is None
    openai_api.script(Calls(call("grocery_clear_bought", {})))
    asking = text_message(TIDY_UP)

    deliver(client, asking)

    milk.refresh_from_db()
    assert milk.state == ItemState.BOUGHT  # nothing cleared yet
    assert ToolCall.objects.filter(tool="grocery_clear_bought").count() == 0
    (pending,) = PendingAction.objects.all()
    assert (pending.tool, pending.args, pending.status) == ("grocery_clear_bought", {}, PendingStatus.PENDING)
    (question,) = graph.sends()
    assert "confirm" in question["text"]["body"] and "grocery_clear_bought" in question["text"]["body"]
    assert inbound_for(asking).status == Status.HANDLED
    chat_requests = len(openai_api.chat_requests)

    yes = text_message("yes")
    deliver(client, yes)
    deliver(client, yes)  # Meta redelivers the same message: it is handled once

    milk.refresh_from_db()
    assert milk.state == ItemState.CLEARED
    assert names(selectors.items_open(groceries)) == ["bread"]
    confirmed = inbound_for(yes)
    assert confirmed.status == Status.HANDLED and confirmed.path == "llm"
    assert [(c.tool, c.args) for c in ToolCall.objects.filter(message=confirmed)] == [("grocery_clear_bought", {})]
    assert ToolCall.objects.filter(tool="grocery_clear_bought").count() == 1
    pending.refresh_from_db()
    assert pending.status == PendingStatus.CONFIRMED and pending.resolved_by_id == confirmed.pk
    assert [s["text"]["body"] for s in graph.sends()][1:] == ["Cleared 1 bought item from groceries."]
    assert len(openai_api.chat_requests) == chat_requests  # the model has no say in the confirmation
