"""Biz's optional WhatsApp number, end to end. Not collected by the suite on its own (no ``test_`` prefix): the
settings decide at import whether biz installs channels_wa, so ``test_whatsapp_number.py`` runs this module in
a pytest of its own, started with the number's variables in its environment (``BIZ_NUMBER_ENV``) against a
database of its own. Everything else is real: biz's settings module as a deployment imports it, Postgres,
Redis, the webhook view, the inbox, the brain with biz's work skills, the WhatsApp sender (pywa) talking to the
Graph API stand-in."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.checks import run_checks
from django.test import Client, override_settings

from alfred.models import Direction, Member, MemberAddress, Message, Status, ToolCall
from tests.channels_wa.conftest import SAMPLE_PHONE_ID, SAMPLE_SENDER, URL, deliver, sample, values
from tests.standins.graph_api import MESSAGES_PATH, GraphAPIStandIn

pytestmark = [pytest.mark.biz, pytest.mark.django_db(transaction=True)]

# Biz's own number and Meta app (not home's: the home fixtures' number is SAMPLE_PHONE_ID).
BIZ_PHONE_ID = "108200300400501"
BIZ_APP_SECRET = "biz-test-app-secret"
BIZ_VERIFY_TOKEN = "biz-test-verify-token"
BIZ_NUMBER_ENV = {
    "PHONE_ID": BIZ_PHONE_ID,
    "META_TOKEN": "EAAbiz-test-token-never-logged",
    "META_APP_SECRET": BIZ_APP_SECRET,
    "META_VERIFY_TOKEN": BIZ_VERIFY_TOKEN,
    "WHATSAPP_API_VERSION": "23.0",
    "WHATSAPP_API_TIMEOUT": "2",
}


@pytest.fixture(autouse=True)
def _forget_member_cache() -> Iterator[None]:
    from alfred.members import members

    members.clear()
    yield
    members.clear()


@pytest.fixture
def graph(settings: Any) -> Iterator[GraphAPIStandIn]:
    """The Graph API stand-in; only its address is set here, every other WhatsApp setting is biz's own."""
    with GraphAPIStandIn() as standin:
        settings.WHATSAPP_API_BASE = standin.url
        yield standin


@pytest.fixture
def owner_on_whatsapp(transactional_demo: Member) -> Member:
    """Biz's demo owner (Acme Corp and the rest of the CRM), reachable on WhatsApp too."""
    MemberAddress.objects.create(member=transactional_demo, channel="whatsapp", address=f"+{SAMPLE_SENDER}")
    return transactional_demo


def to_biz(wamid: str, text: str, *, sender: str = SAMPLE_SENDER, phone_id: str = BIZ_PHONE_ID) -> dict[str, Any]:
    body = sample("message", "text")
    value = values(body)[0]
    value["metadata"]["phone_number_id"] = phone_id
    value["messages"][0].update(id=wamid, text={"body": text}, **{"from": sender})
    value["contacts"][0]["wa_id"] = sender
    return body


def send_paths(graph: GraphAPIStandIn) -> list[str]:
    return [r.path for r in graph.requests if r.is_send]


def test_biz_installs_whatsapp_from_its_environment_and_still_refuses_home_variables():
    assert settings.INSTANCE == "biz"
    assert settings.ALFRED_CHANNEL_APPS == ["channels_slack", "channels_wa"]
    assert "home_skills" not in settings.INSTALLED_APPS
    assert not [path for path in settings.ALFRED_SKILLS if path.startswith("home_skills")]
    # The checks every entry point runs at boot pass with the number's variables (no alfred.E004 for them)...
    assert {"PHONE_ID", "META_TOKEN", "META_APP_SECRET"} <= set(settings.ALFRED_OWNED_ENV_SET)
    assert [m for m in run_checks(tags=["alfred"]) if m.is_serious()] == []
    # ...and a home-only variable is still refused by name.
    with override_settings(ALFRED_OWNED_ENV_SET=(*settings.ALFRED_OWNED_ENV_SET, "ALFRED_BRIDGE_PUBLIC_KEY")):
        errors = [m for m in run_checks(tags=["alfred"]) if m.is_serious()]
    assert [(e.id, e.msg.split()[0]) for e in errors] == [("alfred.E004", "ALFRED_BRIDGE_PUBLIC_KEY")]
    # Its own template for what it starts outside the 24-hour window, never home's chore reminder.
    assert settings.WHATSAPP_REMINDER_TEMPLATE == "inbox_digest"


def test_metas_handshake_is_answered_with_biz_verify_token(client: Client):
    query = {"hub.mode": "subscribe", "hub.verify_token": BIZ_VERIFY_TOKEN, "hub.challenge": "8201444"}
    assert client.get(URL, query).content == b"8201444"
    assert client.get(URL, {**query, "hub.verify_token": "test-verify-token"}).status_code == 403


def test_a_member_asking_about_the_acme_deal_is_answered_once_from_the_crm_on_biz_number(
    client: Client, graph: GraphAPIStandIn, owner_on_whatsapp: Member
):
    body = to_biz("wamid.biz.acme", "what's the status of the Acme deal?")

    assert deliver(client, body, secret=BIZ_APP_SECRET).status_code == 200
    assert deliver(client, body, secret=BIZ_APP_SECRET).status_code == 200  # Meta's redelivery

    (sent,) = graph.sends()
    assert sent["to"] == SAMPLE_SENDER
    assert sent["text"]["body"].startswith("Acme Corp — Acme platform licence: negotiation, 12,000 EUR")
    assert [MESSAGES_PATH.match(path)["phone_id"] for path in send_paths(graph)] == [BIZ_PHONE_ID]  # type: ignore[index]
    (inbound,) = Message.objects.filter(direction=Direction.INBOUND)
    assert (inbound.channel, inbound.sender, inbound.status) == ("whatsapp", owner_on_whatsapp, Status.HANDLED)
    assert list(ToolCall.objects.values_list("tool", flat=True)) == ["crm_deal_status"]


def test_ping_on_biz_number_gets_pong(client: Client, graph: GraphAPIStandIn, owner_on_whatsapp: Member):
    deliver(client, to_biz("wamid.biz.ping", "ping"), secret=BIZ_APP_SECRET)

    assert [sent["text"]["body"] for sent in graph.sends()] == ["pong"]


def test_a_grocery_command_finds_no_home_tool_and_gets_what_biz_can_do(
    client: Client, graph: GraphAPIStandIn, owner_on_whatsapp: Member
):
    deliver(client, to_biz("wamid.biz.milk", "add milk to the shopping list"), secret=BIZ_APP_SECRET)

    (sent,) = graph.sends()
    assert sent["text"]["body"].startswith("Sorry, I did not understand that. Here is what I can do:")
    assert "CRM" in sent["text"]["body"] and "shopping" not in sent["text"]["body"].lower()
    assert ToolCall.objects.count() == 0


def test_an_unknown_sender_on_biz_number_gets_one_polite_refusal(
    client: Client, graph: GraphAPIStandIn, owner_on_whatsapp: Member
):
    deliver(
        client,
        to_biz("wamid.biz.stranger-1", "what's the status of the Acme deal?", sender="15550001111"),
        secret=BIZ_APP_SECRET,
    )
    deliver(client, to_biz("wamid.biz.stranger-2", "ping", sender="15550001111"), secret=BIZ_APP_SECRET)

    assert {(m.sender, m.status) for m in Message.objects.filter(direction=Direction.INBOUND)} == {
        (None, Status.REFUSED)
    }
    (sent,) = graph.sends()
    # Biz's own refusal (the instance's, not the channel's).
    assert sent["to"] == "15550001111"
    assert sent["text"]["body"].startswith("Sorry, I only work for the members of this workspace.")
    assert ToolCall.objects.count() == 0


def test_a_delivery_for_home_number_is_ignored(client: Client, graph: GraphAPIStandIn, owner_on_whatsapp: Member):
    """Both numbers may sit in one WhatsApp Business Account, whose webhook then reaches both instances."""
    response = deliver(client, to_biz("wamid.home.ping", "ping", phone_id=SAMPLE_PHONE_ID), secret=BIZ_APP_SECRET)

    assert response.status_code == 200
    assert Message.objects.count() == 0 and graph.requests == []


def test_a_delivery_signed_with_another_apps_secret_is_refused(client: Client, owner_on_whatsapp: Member):
    assert deliver(client, to_biz("wamid.biz.forged", "ping"), secret="test-app-secret").status_code == 403
    assert Message.objects.count() == 0


def test_a_notice_outside_the_window_goes_as_biz_own_template_without_quick_replies(graph: GraphAPIStandIn):
    """The morning digest's shape (per-email Done buttons, the owner's name and the count as notice values) to
    a member biz reaches on WhatsApp only, who has not written in the last 24 hours."""
    from alfred.content import Button, OutboundContent
    from alfred.outbox import message_member
    from alfred.publisher import publisher
    from tests.helpers import member_on

    sam = member_on("whatsapp", "+44 7700 900777", name="Sam", language="en")
    content = OutboundContent(
        buttons=(Button(title="Done ✅ 1. Contract", tool="inbox_done", args={"uid": 7}),),
        notice_values=("Sam", "2"),
    )

    row = message_member(member=sam, text="Good morning, Sam! 2 new emails in your inbox: …", content=content)
    publisher.flush()

    assert row is not None and row.channel == "whatsapp"
    (sent,) = graph.wait_for_sends(1)
    assert sent["to"] == "447700900777" and sent["type"] == "template"
    template = sent["template"]
    assert template["name"] == "inbox_digest"
    (body,) = template["components"]  # no quick-reply component
    assert [p["text"] for p in body["parameters"]] == ["Sam", "2"]
