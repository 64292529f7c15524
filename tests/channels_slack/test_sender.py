"""The sender against the Web API stand-in: rendering (threads, DMs, buttons, reactions, long texts) and
Slack's errors (429 with Retry-After, a revoked token, timeouts, connections that never got through)."""

import logging
import socket

import pytest

from alfred.content import Button, OutboundContent
from alfred.inbox import message_record_inbound
from alfred.interactive import intent_from_button_id
from alfred.members import conversation_for
from alfred.models import Direction, Message, Status
from alfred.outbox import conversation_reply, message_member, outbound_send
from channels_slack.channel import SLACK, address_normalise, proactive_address
from tests.channels_slack.conftest import BOT_TOKEN, OWNER_ID, unique_ts
from tests.standins.slack_api import Reply, slack_error

pytestmark = [pytest.mark.biz, pytest.mark.django_db(transaction=True)]


def notice(owner, text="Still there?", **content):
    """A message Alfred starts (inline tasks send it at once); the row re-read after the send."""
    row = message_member(member=owner, text=text, content=OutboundContent(**content))
    assert row is not None
    return Message.objects.get(pk=row.pk)


def members_message(owner, ts: str) -> Message:
    """A member's DM already handled (created as the inbox leaves it), to reply to."""
    conversation = conversation_for(channel=SLACK.name, external_id=OWNER_ID, member=owner)
    return Message.objects.create(
        direction=Direction.INBOUND,
        channel=SLACK.name,
        provider_message_id=f"T0001:D0OWNER0001:{ts}",
        conversation=conversation,
        sender=owner,
        text="add milk",
        status=Status.HANDLED,
        raw={"reply": {"channel": "D0OWNER0001", "thread_ts": ts, "ts": ts}},
    )


def test_a_message_alfred_starts_goes_to_the_members_user_id_as_a_dm(slack_settings, slack, owner):
    row = notice(owner)

    [post] = slack.calls("chat.postMessage")
    assert post == {"channel": OWNER_ID, "text": "Still there?"}
    assert row.status == Status.SENT
    assert row.provider_message_id.startswith("D2147483697:")


def test_every_call_carries_the_bot_token(slack_settings, slack, owner):
    notice(owner)

    assert slack.requests[0].headers["authorization"] == f"Bearer {BOT_TOKEN}"


def test_buttons_become_block_kit_actions_carrying_their_tool_call(slack_settings, slack, owner):
    notice(owner, buttons=(Button(title="Ping", tool="ping"), Button(title="Help", tool="help")))

    [post] = slack.calls("chat.postMessage")
    section, actions = post["blocks"]
    assert section["text"]["text"] == "Still there?"
    assert [intent_from_button_id(element["value"]) for element in actions["elements"]] == [
        {"tool": "ping", "args": {}},
        {"tool": "help", "args": {}},
    ]
    assert post["text"] == "Still there?"  # the notification's text


def test_text_is_escaped_so_data_never_pings_a_channel(slack_settings, slack, owner):
    notice(owner, text="Contact <!channel> & co")

    assert slack.calls("chat.postMessage")[0]["text"] == "Contact &lt;!channel&gt; &amp; co"


def test_a_long_answer_is_split_under_slacks_limits(slack_settings, slack, owner):
    text = "\n\n".join(f"Paragraph {n}. " + "word " * 400 for n in range(4))
    row = notice(owner, text=text)

    parts = [post["text"] for post in slack.calls("chat.postMessage")]
    assert len(parts) >= 3 and all(len(part) <= 3000 for part in parts)
    assert " ".join(parts).split() == text.split()
    assert row.status == Status.SENT and len(row.raw["sent_parts"]) == len(parts)


def test_an_acknowledged_change_is_a_reaction_on_the_members_message(slack_settings, slack, owner):
    ts = unique_ts()
    inbound = members_message(owner, ts)

    reply = conversation_reply(inbound=inbound, text="Done.", content=OutboundContent(acknowledge=True))

    assert slack.calls("reactions.add") == [{"channel": "D0OWNER0001", "timestamp": ts, "name": "white_check_mark"}]
    assert slack.calls("chat.postMessage") == []
    assert Message.objects.get(pk=reply.pk).status == Status.SENT


def test_a_rate_limit_is_retried_after_slacks_retry_after(slack_settings, slack, owner):
    slack.script("chat.postMessage", slack_error("ratelimited", status=429, headers={"Retry-After": "7"}))

    row = notice(owner)

    assert (row.status, row.error_code) == (Status.QUEUED, "ratelimited")
    wait = (row.next_attempt_at - row.claimed_at).total_seconds()
    assert 6 <= wait <= 8
    assert outbound_send(row.pk).sent
    assert Message.objects.get(pk=row.pk).status == Status.SENT


def test_slacks_5xx_without_json_is_transient(slack_settings, slack, owner):
    slack.script(
        "chat.postMessage", Reply(status=503, body=b"<html>upstream</html>", headers={"Content-Type": "text/html"})
    )

    row = notice(owner)

    assert (row.status, row.error_code) == (Status.QUEUED, "http_503")


@pytest.mark.parametrize("code", ["invalid_auth", "token_revoked", "account_inactive"])
def test_a_dead_token_fails_for_good_and_alerts_without_logging_it(slack_settings, slack, owner, caplog, code):
    slack.script("chat.postMessage", slack_error(code))

    with caplog.at_level(logging.DEBUG):
        row = notice(owner)

    assert (row.status, row.error_code) == (Status.FAILED, code)
    alerts = [r for r in caplog.records if r.levelno >= logging.ERROR and "failed for good" in r.getMessage()]
    assert alerts and "SLACK_BOT_TOKEN" in alerts[0].getMessage()
    assert BOT_TOKEN not in caplog.text
    assert len(slack.requests) == 1


def test_an_unknown_refusal_is_permanent(slack_settings, slack, owner):
    slack.script("chat.postMessage", slack_error("channel_not_found"))

    row = notice(owner)

    assert (row.status, row.error_code) == (Status.FAILED, "channel_not_found")


def test_a_send_whose_answer_never_comes_is_not_retried(slack_settings, slack, owner):
    slack.script("chat.postMessage", Reply(delay=2.5))

    row = notice(owner)

    assert (row.status, row.error_code) == (Status.FAILED, "unanswered")
    assert len(slack.requests) == 1


def test_a_connection_dropped_after_the_request_is_not_retried(slack_settings, slack, owner):
    slack.script("chat.postMessage", Reply(drop=True))

    row = notice(owner)

    assert (row.status, row.error_code) == (Status.FAILED, "unanswered")


def test_slack_unreachable_is_transient(slack_settings, owner):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    slack_settings.SLACK_API_BASE = f"http://127.0.0.1:{port}/api/"

    row = notice(owner)

    assert (row.status, row.error_code) == (Status.QUEUED, "network")


def test_a_rate_limited_response_url_is_retried(slack_settings, slack, owner):
    slack.script(
        "hooks", Reply(status=429, body=b"rate_limited", headers={"Retry-After": "3", "Content-Type": "text/plain"})
    )
    message_id = message_record_inbound(
        channel=SLACK.name,
        provider_message_id="T0001:command:1.2.3",
        conversation_external_id=OWNER_ID,
        sender=owner,
        text="help",
        kind="command",
        raw={"reply": {"response_url": slack.response_url()}},
    )

    reply = Message.objects.get(direction=Direction.OUTBOUND, reply_to_id=message_id)
    assert (reply.status, reply.error_code) == (Status.QUEUED, "rate_limited")
    assert outbound_send(reply.pk).sent
    assert "Here is what I can do" in slack.calls("hooks")[0]["text"]


def test_addresses_as_people_paste_them():
    assert address_normalise(" u2147483697 ") == "U2147483697"
    assert address_normalise("<@U2147483697|owner>") == "U2147483697"
    assert address_normalise("@W0ENTERPRISE1") == "W0ENTERPRISE1"
    assert address_normalise("owner@example.com") == "owner@example.com"
    assert proactive_address(["someone", "U2147483697"]) == "U2147483697"
    assert proactive_address(["someone"]) is None
