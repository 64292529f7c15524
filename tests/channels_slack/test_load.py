"""The load file (tests/load/locustfile.py) drives the real Slack events endpoint: its mentions are signed
and shaped so that Alfred-Biz records each once and answers it."""

import pytest

from alfred.models import Direction, Message
from tests.channels_slack.conftest import SIGNING_SECRET, TEAM_ID
from tests.helpers import member_on
from tests.load.run import run_locust
from tests.standins.slack_api import SlackAPIStandIn

pytestmark = [pytest.mark.biz, pytest.mark.django_db(transaction=True)]

USER = "U0LOADOWN"


def test_locust_slack_mentions_are_recorded_once_and_answered(slack_settings, slack: SlackAPIStandIn, live_server):
    member_on("slack", USER, name="Load owner", language="en")
    env = {"LOAD_SLACK_SIGNING_SECRET": SIGNING_SECRET, "LOAD_SLACK_TEAM_ID": TEAM_ID, "LOAD_SLACK_USER": USER}

    figures = run_locust("SlackMember", live_server.url, users=4, seconds=4, env=env)

    assert figures["name"] == "slack event"
    assert figures["num_requests"] >= 4
    assert figures["num_failures"] == 0
    inbound = Message.objects.filter(direction=Direction.INBOUND)
    assert inbound.count() == figures["num_requests"]
    posted = slack.calls("chat.postMessage")
    assert len(posted) == figures["num_requests"]
    assert {call["text"] for call in posted} == {"pong"}
