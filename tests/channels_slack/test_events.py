"""``/slack/events/`` through the real view, bolt and its Django adapter, with signed requests of our own
fixtures; answers reach the Web API stand-in through the real inbox → worker → outbox path (inline tasks)."""

import json

import pytest

from alfred.interactive import button_id
from alfred.models import Direction, Message, Status, ToolCall
from tests.channels_slack.conftest import (
    OWNER_ID,
    SIGNING_SECRET,
    STRANGER_ID,
    command,
    event,
    fixture,
    send_command,
    send_event,
    send_interaction,
    unique_ts,
)

pytestmark = [pytest.mark.biz, pytest.mark.django_db(transaction=True)]


def inbound() -> list[Message]:
    return list(Message.objects.filter(direction=Direction.INBOUND).order_by("id"))


# --- slash commands --------------------------------------------------------------------------------------
def test_slash_ping_is_answered_pong_in_the_acknowledgement(client, slack_settings, slack, owner):
    response = send_command(client, command("ping", slack.response_url()))

    assert response.status_code == 200
    assert response.content.decode() == "pong"
    assert not Message.objects.exists()
    assert slack.requests == []


def test_slash_command_is_acknowledged_at_once_and_answered_through_its_response_url(
    client, slack_settings, slack, owner
):
    response = send_command(client, command("help", slack.response_url()))

    assert response.status_code == 200 and response.content == b""
    [answer] = slack.wait_for("hooks", 1)
    assert "Here is what I can do" in answer["text"]
    assert answer["response_type"] == "ephemeral" and answer["replace_original"] is False
    [row] = inbound()
    assert (row.kind, row.text, row.status, row.sender) == ("command", "help", Status.HANDLED, owner)
    assert row.conversation.external_id == OWNER_ID


def test_an_empty_slash_command_gets_the_help(client, slack_settings, slack, owner):
    response = send_command(client, command("", slack.response_url()))

    assert response.status_code == 200
    [answer] = slack.wait_for("hooks", 1)
    assert "Here is what I can do" in answer["text"]
    assert ToolCall.objects.get().tool == "help"


def test_a_40000_character_slash_command_gets_a_clear_answer_and_nothing_is_stored(
    client, slack_settings, slack, owner
):
    response = send_command(client, command("x" * 40_000, slack.response_url()))

    assert response.status_code == 200
    assert "40,000 characters" in response.content.decode()
    assert "2,000" in response.content.decode()
    assert not Message.objects.exists()


def test_a_response_url_that_is_not_slack_is_never_posted_to(client, slack_settings, slack, owner):
    send_command(client, command("help", "https://attacker.example/collect"))

    [row] = Message.objects.filter(direction=Direction.OUTBOUND)
    assert (row.status, row.error_code) == (Status.FAILED, "response_url")


# --- messages -----------------------------------------------------------------------------------------------
def test_a_mention_is_answered_once_in_its_thread_despite_a_retry_and_a_second_event_id(
    client, slack_settings, slack, owner
):
    ts = unique_ts()
    mention = event("app_mention", ts=ts)
    same_message = event("message_channels", ts=ts)

    first = send_event(client, mention)
    retry = send_event(client, mention, HTTP_X_SLACK_RETRY_NUM="1", HTTP_X_SLACK_RETRY_REASON="http_timeout")
    other_id = send_event(client, same_message)

    assert [first.status_code, retry.status_code, other_id.status_code] == [200, 200, 200]
    [row] = inbound()
    assert (row.text, row.status, row.path) == ("ping", Status.HANDLED, "rules")
    assert row.conversation.external_id == f"C0SALES001/{OWNER_ID}"
    [post] = slack.wait_for("chat.postMessage", 1)
    assert post == {"channel": "C0SALES001", "text": "pong", "thread_ts": ts}
    assert ToolCall.objects.count() == 1


def test_a_dm_mentioning_alfred_comes_as_two_events_and_is_answered_once(client, slack_settings, slack, owner):
    ts = unique_ts()
    send_event(client, event("app_mention", ts=ts, channel="D0OWNER0001"))
    send_event(client, event("message_im", ts=ts, text="<@U0LAN0Z89> ping"))

    assert len(inbound()) == 1
    assert [p["text"] for p in slack.wait_for("chat.postMessage", 1)] == ["pong"]


def test_a_members_dm_is_answered_in_its_thread(client, slack_settings, slack, owner):
    ts = unique_ts()
    response = send_event(client, event("message_im", ts=ts))

    assert response.status_code == 200
    [post] = slack.wait_for("chat.postMessage", 1)
    assert post == {"channel": "D0OWNER0001", "text": "pong", "thread_ts": ts}
    [row] = inbound()
    assert row.conversation.external_id == OWNER_ID
    [reply] = Message.objects.filter(direction=Direction.OUTBOUND)
    assert reply.status == Status.SENT and reply.provider_message_id.startswith("D0OWNER0001:")


def test_a_reply_inside_a_dm_thread_is_answered_in_that_thread(client, slack_settings, slack, owner):
    body = event("message_im_in_thread")
    send_event(client, body)

    [post] = slack.wait_for("chat.postMessage", 1)
    assert post["thread_ts"] == body["event"]["thread_ts"]
    assert "Here is what I can do" in post["text"]


def test_a_stranger_gets_one_polite_refusal_and_no_skill(client, slack_settings, slack, owner):
    send_event(client, event("message_im", user=STRANGER_ID, channel="D0STRANGER1"))
    send_event(client, event("message_im", user=STRANGER_ID, channel="D0STRANGER1"))

    [post] = slack.wait_for("chat.postMessage", 1)
    assert "only work for the members of this workspace" in post["text"]
    assert [row.status for row in inbound()] == [Status.REFUSED, Status.REFUSED]
    assert not ToolCall.objects.exists()
    assert len(slack.calls("chat.postMessage")) == 1


@pytest.mark.parametrize("case", ["message_bot", "message_own", "message_changed", "message_deleted"])
def test_bots_alfreds_own_messages_edits_and_deletions_are_never_answered(client, slack_settings, slack, owner, case):
    response = send_event(client, event(case))

    assert response.status_code == 200
    assert not Message.objects.exists()
    assert slack.requests == []


def test_an_edited_mention_is_not_answered_again(client, slack_settings, slack, owner):
    send_event(client, event("app_mention", edited={"user": OWNER_ID, "ts": "1767261601.000000"}))

    assert not Message.objects.exists()


def test_events_of_another_workspace_are_ignored(client, slack_settings, slack, owner):
    body = event("message_im")
    body["team_id"] = "T0OTHER0001"
    response = send_event(client, body)

    assert response.status_code == 200
    assert not Message.objects.exists()
    assert send_command(client, command("help", slack.response_url(), team_id="T0OTHER0001")).status_code == 200
    assert not Message.objects.exists()


# --- buttons ------------------------------------------------------------------------------------------------
def test_a_block_kit_button_click_runs_its_tool_call_once(client, slack_settings, slack, owner):
    payload = fixture("interactivity", "block_actions")
    payload["actions"][0]["value"] = button_id("ping", {})

    first = send_interaction(client, payload)
    again = send_interaction(client, payload)

    assert (first.status_code, again.status_code) == (200, 200)
    [row] = inbound()
    assert row.kind == "interactive" and row.intent == {"tool": "ping", "args": {}}
    assert ToolCall.objects.get().tool == "ping"
    [post] = slack.wait_for("chat.postMessage", 1)
    assert post == {"channel": "D0OWNER0001", "text": "pong", "thread_ts": "1767262300.001000"}


def test_a_click_on_an_ephemeral_answer_is_answered_through_its_response_url(client, slack_settings, slack, owner):
    payload = fixture("interactivity", "block_actions")
    payload["actions"][0]["value"] = button_id("ping", {})
    payload["container"]["is_ephemeral"] = True
    payload["response_url"] = slack.response_url("actions/1")

    send_interaction(client, payload)

    assert [answer["text"] for answer in slack.wait_for("hooks", 1)] == ["pong"]


def test_a_click_on_a_button_alfred_did_not_make_runs_nothing(client, slack_settings, slack, owner):
    payload = fixture("interactivity", "block_actions")
    payload["actions"][0]["value"] = "approve-expense-42"

    assert send_interaction(client, payload).status_code == 200
    assert not Message.objects.exists()


@pytest.mark.parametrize("case", ["view_submission", "unknown_type"])
def test_unknown_interactivity_payloads_are_acknowledged_and_ignored(client, slack_settings, slack, owner, case):
    response = send_interaction(client, fixture("interactivity", case))

    assert response.status_code == 200
    assert not Message.objects.exists()


# --- bad input ----------------------------------------------------------------------------------------------
def test_unknown_event_types_are_acknowledged_and_ignored(client, slack_settings, slack, owner):
    for body in (event("reaction_added"), fixture("events", "app_rate_limited")):
        assert send_event(client, body).status_code == 200
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    "options",
    [{"secret": None}, {"secret": "not-the-secret"}, {"age": 6 * 60}],
    ids=["unsigned", "wrong-secret", "replayed-after-6-minutes"],
)
def test_requests_slack_did_not_sign_just_now_are_refused_and_nothing_is_stored(
    client, slack_settings, slack, owner, options
):
    for response in (
        send_event(client, event("message_im"), **options),
        send_command(client, command("help", slack.response_url()), **options),
        send_command(client, command("ping", slack.response_url()), **options),
    ):
        assert response.status_code == 401
        assert b"pong" not in response.content
    assert not Message.objects.exists()
    assert slack.requests == []


def test_url_verification_is_answered_only_when_signed(client, slack_settings):
    body = fixture("events", "url_verification")

    refused = send_event(client, body, secret="not-the-secret")
    answered = send_event(client, body)

    assert refused.status_code == 401 and body["challenge"].encode() not in refused.content
    assert answered.status_code == 200
    assert answered.json() == {"challenge": body["challenge"]}


def test_ssl_check_is_answered(client, slack_settings):
    response = send_command(client, {"ssl_check": "1", "token": "verification-token-unused"}, secret=None)

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"type": "event_callback", "event": ', "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (b'{"type": NaN}', "application/json"),
        (b"\xff\xfe not utf-8", "application/json"),
        (b"payload=%7Bnot+json", "application/x-www-form-urlencoded"),
        (b"payload=%5B%5D", "application/x-www-form-urlencoded"),
    ],
    ids=["truncated-json", "json-array", "nan", "not-utf8", "payload-not-json", "payload-not-object"],
)
def test_malformed_bodies_are_refused_with_400(client, slack_settings, body, content_type):
    from tests.channels_slack.conftest import post

    response = post(client, body, content_type)

    assert response.status_code == 400
    assert not Message.objects.exists()


def test_an_oversized_body_is_refused_with_413(client, slack_settings, settings):
    body = json.dumps({"type": "event_callback", "pad": "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE}).encode()
    from tests.channels_slack.conftest import post

    assert post(client, body, "application/json").status_code == 413


def test_without_a_signing_secret_nothing_is_verified_or_stored(client, slack_settings, slack):
    slack_settings.SLACK_SIGNING_SECRET = ""

    response = send_event(client, event("message_im"), secret="")

    assert response.status_code == 503
    assert not Message.objects.exists()


def test_only_post_is_allowed(client, slack_settings):
    assert client.get("/slack/events/").status_code == 405


def test_the_signing_secret_is_read_when_a_request_comes_not_at_import(client, slack_settings, slack, owner):
    slack_settings.SLACK_SIGNING_SECRET = "rotated-secret"

    assert send_event(client, event("message_im"), secret=SIGNING_SECRET).status_code == 401
    assert send_event(client, event("message_im"), secret="rotated-secret").status_code == 200


def test_a_mention_goes_through_a_real_celery_worker_and_is_answered_once(
    slack_settings, slack, owner, celery_worker_thread
):
    from django.test import Client

    from alfred.publisher import publisher

    ts = unique_ts()
    mention = event("app_mention", ts=ts)
    responses = [
        send_event(Client(), mention),
        send_event(Client(), mention, HTTP_X_SLACK_RETRY_NUM="1"),
        send_event(Client(), event("message_channels", ts=ts)),
    ]
    assert publisher.flush()

    assert [response.status_code for response in responses] == [200, 200, 200]
    assert [post["text"] for post in slack.wait_for("chat.postMessage", 1)] == ["pong"]
    assert len(inbound()) == 1 and ToolCall.objects.count() == 1


def test_a_deal_status_asked_in_a_dm_comes_back_as_a_block_kit_card(client, slack_settings, slack, owner):
    from io import StringIO

    from django.core.management import call_command

    call_command("seed_demo", stdout=StringIO())  # Acme Corp: one deal in negotiation, 12,000 EUR

    send_event(client, event("message_im", ts=unique_ts(), text="what's the status of the Acme deal?"))

    [post] = slack.wait_for("chat.postMessage", 1)
    assert post["text"].startswith("Acme Corp")
    [text_section, card] = [block for block in post["blocks"] if block["type"] == "section"]
    labels = [field["text"].split("\n")[0] for field in card["fields"]]
    assert labels[:3] == ["*Stage*", "*Amount*", "*Close date*"]
    assert "negotiation" in card["fields"][0]["text"].lower() and "12" in card["fields"][1]["text"]
    assert text_section["text"]["text"] == post["text"]


def test_the_acme_question_mentioned_in_a_channel_is_answered_once_despite_a_retry_and_a_second_event_id(
    client, slack_settings, slack, owner
):
    from io import StringIO

    from django.core.management import call_command

    call_command("seed_demo", stdout=StringIO())
    ts = unique_ts()
    question = "<@U0LAN0Z89> what's the status of the Acme deal?"
    mention = event("app_mention", ts=ts, text=question)

    send_event(client, mention)
    send_event(client, mention, HTTP_X_SLACK_RETRY_NUM="1", HTTP_X_SLACK_RETRY_REASON="http_timeout")
    send_event(client, event("message_channels", ts=ts, text=question))

    [post] = slack.wait_for("chat.postMessage", 1)
    assert post["thread_ts"] == ts and post["text"].startswith("Acme Corp")
    assert [(call.tool, call.args) for call in ToolCall.objects.all()] == [
        ("crm_deal_status", {"company": "Acme Corp"})
    ]


def test_a_note_sent_in_a_dm_is_written_to_acme_once(client, slack_settings, slack, owner):
    from io import StringIO

    from django.core.management import call_command

    from work_skills.models import Note

    call_command("seed_demo", stdout=StringIO())
    before = Note.objects.filter(company__name="Acme Corp").count()
    body = event("message_im", ts=unique_ts(), text="note for acme: they want a demo next week")

    send_event(client, body)
    send_event(client, body, HTTP_X_SLACK_RETRY_NUM="1", HTTP_X_SLACK_RETRY_REASON="http_timeout")

    # A note is a change the member asked for: acknowledged with one ✅ on their message, not a text.
    [reaction] = slack.wait_for("reactions.add", 1)
    assert reaction["timestamp"] == body["event"]["ts"]
    notes = Note.objects.filter(company__name="Acme Corp").order_by("-id")
    assert notes.count() == before + 1 and notes[0].text == "they want a demo next week"
