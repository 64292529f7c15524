"""The load file (tests/load/locustfile.py, ``make load``) drives the real WhatsApp webhook: its deliveries
are signed and shaped so that Alfred-Home records each once and answers it."""

import pytest

from alfred.models import Direction, Message
from tests.channels_wa.conftest import APP_SECRET, SAMPLE_PHONE_ID
from tests.helpers import member_on
from tests.load.run import run_locust
from tests.standins.graph_api import GraphAPIStandIn

pytestmark = [pytest.mark.home, pytest.mark.django_db(transaction=True)]

SENDERS = 3


def test_locust_whatsapp_members_are_recorded_once_and_answered(wa_settings, graph: GraphAPIStandIn, live_server):
    for i in range(SENDERS):
        member_on("whatsapp", f"+3460{i:07d}", name=f"Load {i}", language="en")
    env = {"LOAD_META_APP_SECRET": APP_SECRET, "LOAD_PHONE_ID": SAMPLE_PHONE_ID, "LOAD_WHATSAPP_SENDERS": str(SENDERS)}

    figures = run_locust("WhatsAppMember", live_server.url, users=4, seconds=4, env=env)

    assert figures["name"] == "whatsapp delivery"
    assert figures["num_requests"] >= 4
    assert figures["num_failures"] == 0
    inbound = Message.objects.filter(direction=Direction.INBOUND)
    assert inbound.count() == figures["num_requests"]
    assert inbound.values("provider_message_id").distinct().count() == figures["num_requests"]
    replies = graph.wait_for_sends(figures["num_requests"])
    assert {reply["text"]["body"] for reply in replies} == {"pong"}
