"""The sender against the Graph API stand-in: what goes out, the 24-hour window, and Meta's errors."""

import logging
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client import REGISTRY

from alfred.content import Button, OutboundContent
from alfred.inbox import message_record_inbound
from alfred.interactive import button_id, intent_from_button_id
from alfred.models import Conversation, Direction, Member, Message, Status
from alfred.outbox import conversation_reply, outbound_record, outbound_send
from channels_wa.sender import split_text, template_param
from tests.channels_wa.conftest import META_TOKEN, SAMPLE_DISPLAY_NUMBER, SAMPLE_PHONE_ID, SAMPLE_SENDER
from tests.standins.graph_api import Reply, graph_error

pytestmark = [pytest.mark.home, pytest.mark.django_db(transaction=True)]

DONE = button_id("ping", {})


# --- splitting ----------------------------------------------------------------------------------------


def test_a_short_text_is_one_part():
    assert split_text("Milk and eggs.") == ["Milk and eggs."]


def test_a_long_text_is_split_at_sentence_ends_within_4096_characters():
    sentence = "Remember to buy milk for the whole family this week. "
    text = sentence * 200  # ~10,600 characters

    parts = split_text(text)

    assert len(parts) == 3
    assert all(len(part) <= 4096 for part in parts)
    assert all(part.endswith("week.") for part in parts)
    assert " ".join(parts) == text.strip()


def test_paragraph_breaks_are_preferred_over_sentence_ends():
    text = ("a. " * 1000).strip() + "\n\n" + ("b. " * 1000).strip()

    parts = split_text(text)

    assert parts[0].endswith("a.") and parts[1].startswith("b.")


def test_text_without_any_boundary_is_cut_hard_at_4096():
    parts = split_text("x" * 9000)

    assert [len(part) for part in parts] == [4096, 4096, 808]


def test_template_parameters_lose_newlines_tabs_and_runs_of_spaces():
    assert template_param("Dishes,\n\tTrash     out ") == "Dishes, Trash out"
    assert template_param("   ") == "-"


# --- helpers ------------------------------------------------------------------------------------------


@pytest.fixture
def conversation(ana: Member) -> Conversation:
    return Conversation.objects.create(
        channel="whatsapp", external_id=SAMPLE_SENDER, member=ana, last_inbound_at=timezone.now()
    )


def inbound(conversation: Conversation, wamid: str = "wamid.in-1") -> Message:
    return Message.objects.create(
        direction=Direction.INBOUND,
        channel="whatsapp",
        conversation=conversation,
        sender=conversation.member,
        text="ping",
        status=Status.HANDLED,
        provider_message_id=wamid,
    )


def reminder(conversation: Conversation) -> Message:
    return outbound_record(
        conversation=conversation,
        text="Ana, today: dishes, trash.",
        proactive=True,
        kind="reminder",
        content=OutboundContent(
            buttons=(Button(title="Done ✅", tool="ping"),), notice_values=("Ana", "dishes,\ntrash")
        ),
    )


def queued_row(conversation: Conversation, text: str = "hello") -> Message:
    # Recorded inside a transaction that never commits its enqueue: the test drives outbound_send itself.
    return Message.objects.create(
        direction=Direction.OUTBOUND, channel="whatsapp", conversation=conversation, text=text, status=Status.QUEUED
    )


# --- what goes out ------------------------------------------------------------------------------------


def test_a_reply_quotes_the_member_message_and_carries_the_row_tracker(wa_settings, graph, conversation):
    message = inbound(conversation)

    reply = conversation_reply(inbound=message, text="pong")

    (sent,) = graph.sends()
    assert sent["context"] == {"message_id": "wamid.in-1"}
    assert sent["biz_opaque_callback_data"] == f"alfred-out:{reply.pk}"
    assert graph.requests[0].headers["authorization"] == f"Bearer {META_TOKEN}"
    reply.refresh_from_db()
    assert reply.status == Status.SENT and reply.provider_message_id == "wamid.standin.1"


def test_a_long_reply_goes_out_in_parts_and_only_the_first_quotes(wa_settings, graph, conversation):
    message = inbound(conversation)

    reply = conversation_reply(inbound=message, text="All good here, nothing to add. " * 300)

    sends = graph.sends()
    assert len(sends) == 3
    assert "context" in sends[0] and all("context" not in s for s in sends[1:])
    assert all(len(s["text"]["body"]) <= 4096 for s in sends)
    reply.refresh_from_db()
    assert reply.provider_message_id == "wamid.standin.3"
    assert reply.raw["sent_parts"] == ["wamid.standin.1", "wamid.standin.2", "wamid.standin.3"]


def test_a_retry_after_a_failed_part_resumes_without_resending_earlier_parts(wa_settings, graph, conversation):
    row = queued_row(conversation, text="Sentence number one is here. " * 200)
    graph.script_sends(Reply(), graph_error(131000, "Something went wrong", status=500))

    first = outbound_send(row.pk)
    second = outbound_send(row.pk)

    assert first.retry_in is not None and second.sent
    bodies = [s["text"]["body"] for s in graph.sends()]
    assert len(bodies) == 2 and bodies[0] != bodies[1]
    row.refresh_from_db()
    assert row.status == Status.SENT and row.attempts == 2


def test_a_sent_report_for_the_first_part_does_not_strand_a_reply_waiting_to_retry_its_second(
    client, wa_settings, graph, conversation
):
    from channels_wa.models import StatusEvent
    from tests.channels_wa.conftest import deliver

    row = queued_row(conversation, text="Sentence number one is here. " * 200)
    graph.script_sends(Reply(), graph_error(130429, "Rate limit hit"))
    first = outbound_send(row.pk)
    assert first.retry_in is not None

    # Part 1 went out; Meta's report of it carries the row's tracker and arrives while part 2 waits.
    status = {
        "id": "wamid.standin.1",
        "status": "sent",
        "timestamp": str(int(time.time())),
        "recipient_id": SAMPLE_SENDER,
        "biz_opaque_callback_data": f"alfred-out:{row.pk}",
    }
    assert deliver(client, _status_body(status)).status_code == 200
    row.refresh_from_db()
    assert row.status == Status.QUEUED
    assert StatusEvent.objects.filter(provider_message_id="wamid.standin.1", status="sent", message=row).exists()

    second = outbound_send(row.pk)

    assert second.sent
    assert [s["text"]["body"] for s in graph.sends()] == split_text(row.text)
    row.refresh_from_db()
    assert row.status == Status.SENT and len(row.raw["sent_parts"]) == 2
    assert row.provider_message_id == row.raw["sent_parts"][-1]


def test_an_acknowledged_list_change_is_a_check_mark_reaction_on_the_member_message(wa_settings, graph, conversation):
    message = inbound(conversation)

    reply = conversation_reply(inbound=message, text="Added milk.", content=OutboundContent(acknowledge=True))

    (sent,) = graph.sends()
    assert sent["type"] == "reaction"
    assert sent["reaction"] == {"emoji": "✅", "message_id": "wamid.in-1"}
    reply.refresh_from_db()
    assert reply.status == Status.SENT and reply.raw["sent_as"] == "reaction"


def test_with_reactions_turned_off_an_acknowledged_change_is_a_text(wa_settings, graph, conversation):
    wa_settings.WHATSAPP_ACK_REACTION = False

    conversation_reply(inbound=inbound(conversation), text="Added milk.", content=OutboundContent(acknowledge=True))

    (sent,) = graph.sends()
    assert sent["type"] == "text" and sent["text"]["body"] == "Added milk."


# --- the 24-hour window -------------------------------------------------------------------------------


def test_a_reminder_inside_the_window_has_reply_buttons(wa_settings, graph, conversation):
    row = reminder(conversation)

    (sent,) = graph.sends()
    assert sent["type"] == "interactive"
    assert sent["interactive"]["body"] == {"text": "Ana, today: dishes, trash."}
    assert sent["interactive"]["action"]["buttons"] == [{"type": "reply", "reply": {"id": DONE, "title": "Done ✅"}}]
    row.refresh_from_db()
    assert row.status == Status.SENT and row.raw["sent_as"] == "interactive"


def test_button_titles_are_cut_to_whatsapps_20_characters_and_a_call_too_long_for_an_id_is_left_out(
    wa_settings, graph, conversation
):
    buttons = (
        Button(title="Done ✅ a very long chore title", tool="chore_done", args={"chore": "a very long chore title"}),
        Button(title="Too big", tool="chore_done", args={"chore": "x" * 300}),
    )
    outbound_record(conversation=conversation, text="Today", content=OutboundContent(buttons=buttons, notice_values=()))

    (sent,) = graph.sends()
    rendered = sent["interactive"]["action"]["buttons"]
    assert [button["reply"]["title"] for button in rendered] == ["Done ✅ a very long c"]
    assert intent_from_button_id(rendered[0]["reply"]["id"]) == {
        "tool": "chore_done",
        "args": {"chore": "a very long chore title"},
    }


def test_a_reminder_after_the_window_closed_goes_as_the_approved_template(wa_settings, graph, conversation):
    Conversation.objects.filter(pk=conversation.pk).update(last_inbound_at=timezone.now() - timedelta(hours=25))
    conversation.refresh_from_db()
    Member.objects.filter(pk=conversation.member_id).update(language="es")
    conversation.member.refresh_from_db()

    row = reminder(conversation)

    (sent,) = graph.sends()
    assert sent["type"] == "template"
    template = sent["template"]
    assert template["name"] == "chore_reminder" and template["language"] == {"code": "es"}
    body, button = template["components"]
    assert [p["text"] for p in body["parameters"]] == ["Ana", "dishes, trash"]
    assert button["sub_type"] == "QUICK_REPLY" and button["parameters"] == [{"type": "payload", "payload": DONE}]
    row.refresh_from_db()
    assert row.status == Status.SENT and row.raw["sent_as"] == "template"


def test_a_conversation_that_never_wrote_gets_the_template(wa_settings, graph, conversation):
    Conversation.objects.filter(pk=conversation.pk).update(last_inbound_at=None)
    conversation.refresh_from_db()
    wa_settings.WHATSAPP_REMINDER_TEMPLATE_PARAM_NAMES = ["name", "chores"]

    reminder(conversation)

    (sent,) = graph.sends()
    params = sent["template"]["components"][0]["parameters"]
    assert [(p["parameter_name"], p["text"]) for p in params] == [("name", "Ana"), ("chores", "dishes, trash")]
    assert sent["template"]["language"] == {"code": "en"}


def test_error_131047_on_a_free_form_reminder_resends_it_as_the_template(wa_settings, graph, conversation):
    graph.script_sends(graph_error(131047, "Re-engagement message", title="Re-engagement message"))

    row = reminder(conversation)

    assert [s["type"] for s in graph.sends(answered=None)] == ["interactive", "template"]
    row.refresh_from_db()
    assert row.status == Status.SENT and row.raw["sent_as"] == "template"


def test_131047_on_an_ordinary_reply_fails_it_without_retry(wa_settings, graph, conversation):
    graph.script_sends(graph_error(131047, "Re-engagement message"))

    reply = conversation_reply(inbound=inbound(conversation), text="pong")

    reply.refresh_from_db()
    assert reply.status == Status.FAILED and reply.error_code == "131047"
    assert len(graph.sends(answered=None)) == 1


# --- Meta's errors ------------------------------------------------------------------------------------


def test_rate_limits_and_5xx_are_retried_with_4_to_the_attempt_backoff(wa_settings, graph, conversation):
    row = queued_row(conversation)
    graph.script_sends(
        graph_error(130429, "Rate limit hit"),
        graph_error(131056, "Pair rate limit"),
        Reply(status=502, body=b"Bad Gateway"),
    )

    outcomes = [outbound_send(row.pk) for _ in range(4)]

    assert [o.retry_in for o in outcomes[:3]] == [4.0, 16.0, 64.0]
    assert outcomes[3].sent
    assert len(graph.sends()) == 1 and len(graph.sends(answered=None)) == 4
    row.refresh_from_db()
    assert row.status == Status.SENT and row.attempts == 4


def test_a_burst_of_429_and_5xx_is_retried_by_the_worker_and_delivered_once(
    wa_settings, graph, conversation, celery_worker_thread
):
    now = {"Retry-After": "0"}
    graph.script_sends(
        graph_error(130429, "Rate limit hit", status=429, headers=now),
        Reply(status=503, body=b"Service Unavailable", headers=now),
        graph_error(2, "Service temporarily unavailable", status=500, headers=now),
    )

    row = outbound_record(conversation=conversation, text="Your list: milk, eggs.")
    graph.wait_for_sends(1)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        row.refresh_from_db()
        if row.status == Status.SENT:
            break
        time.sleep(0.05)

    assert row.status == Status.SENT and row.attempts == 4
    assert len(graph.sends()) == 1
    assert len(graph.sends(answered=None)) == 4


@pytest.mark.parametrize(
    "answer", [Reply(status=503, body={"error": {}}), Reply(status=500, body={"oops": 1}), Reply(status=429, body=[])]
)
def test_an_error_status_with_a_body_that_is_not_metas_error_is_retried(wa_settings, graph, conversation, answer):
    # Found by the fault run: pywa raised KeyError reading such a body and the reply was failed for good.
    row = queued_row(conversation)
    graph.script_sends(answer)

    first = outbound_send(row.pk)
    second = outbound_send(row.pk)

    assert first.retry_in is not None and second.sent
    assert len(graph.sends()) == 1


def test_a_refusal_with_an_unreadable_body_fails_the_row_and_an_unreadable_success_is_not_resent(
    wa_settings, graph, conversation
):
    refused, accepted = queued_row(conversation), queued_row(conversation)
    graph.script_sends(Reply(status=400, body={"error": {}}), Reply(status=200, body={"unexpected": True}))

    refusal, success = outbound_send(refused.pk), outbound_send(accepted.pk)

    refused.refresh_from_db()
    accepted.refresh_from_db()
    assert (refusal.retry_in, refused.status, refused.error_code) == (None, Status.FAILED, "400")
    # A 200 may mean the message went out: never sent again, whatever the body.
    assert (success.retry_in, accepted.status) == (None, Status.FAILED)
    assert len(graph.sends(answered=None)) == 2


@pytest.mark.parametrize("code", [131048, 131026, 131051, 100, 132001])
def test_permanent_errors_fail_the_row_without_retry(wa_settings, graph, conversation, code):
    row = queued_row(conversation)
    graph.script_sends(graph_error(code, "refused"))

    outcome = outbound_send(row.pk)
    again = outbound_send(row.pk)

    row.refresh_from_db()
    assert outcome.retry_in is None and not again.sent
    assert row.status == Status.FAILED and row.error_code == str(code)
    assert len(graph.sends(answered=None)) == 1


def rejected_count() -> float:
    value = REGISTRY.get_sample_value(
        "alfred_credential_rejected_total", {"instance": "home", "channel": "whatsapp", "code": "190"}
    )
    return value or 0.0


def test_an_expired_token_fails_once_logs_an_error_without_the_token_and_counts_it(
    wa_settings, graph, conversation, caplog
):
    before = rejected_count()
    graph.script_sends(
        graph_error(190, f"Error validating access token: Session has expired ({META_TOKEN})", status=401)
    )
    row = queued_row(conversation)

    with caplog.at_level(logging.INFO):
        outcome = outbound_send(row.pk)
        again = outbound_send(row.pk)

    row.refresh_from_db()
    assert outcome.retry_in is None and not again.sent
    assert row.status == Status.FAILED and row.error_code == "190"
    assert len(graph.sends(answered=None)) == 1
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert errors and "190" in errors[0].getMessage()
    assert all(META_TOKEN not in r.getMessage() for r in caplog.records)
    assert META_TOKEN not in row.error
    assert rejected_count() == before + 1


def test_an_unreachable_graph_api_is_retried(wa_settings, graph, conversation):
    wa_settings.WHATSAPP_API_BASE = "http://127.0.0.1:9"  # nothing listens: the request never left
    row = queued_row(conversation)

    outcome = outbound_send(row.pk)

    row.refresh_from_db()
    assert outcome.retry_in == 4.0
    assert row.status == Status.QUEUED and row.error_code == "network"


def test_a_send_left_without_an_answer_is_not_retried_and_a_later_status_corrects_it(
    client, wa_settings, graph, conversation
):
    from tests.channels_wa.conftest import deliver

    wa_settings.WHATSAPP_API_TIMEOUT = 0.5
    graph.script_sends(Reply(delay=1.5))
    row = queued_row(conversation)

    outcome = outbound_send(row.pk)
    again = outbound_send(row.pk)

    row.refresh_from_db()
    assert outcome.retry_in is None and not again.sent
    assert row.status == Status.FAILED and row.error_code == "unanswered"
    assert len(graph.sends(answered=None)) == 1  # never sent twice
    time.sleep(1.2)  # let the stand-in finish answering into the void

    # Meta did accept it: its delivery report, tied to the row by the tracker, puts the row right.
    status = {
        "id": "wamid.standin.1",
        "status": "delivered",
        "timestamp": str(int(time.time())),
        "recipient_id": SAMPLE_SENDER,
        "biz_opaque_callback_data": f"alfred-out:{row.pk}",
    }
    deliver(client, _status_body(status))

    row.refresh_from_db()
    assert row.status == Status.DELIVERED and row.provider_message_id == "wamid.standin.1" and row.error == ""


def test_a_dropped_connection_after_the_request_is_not_retried(wa_settings, graph, conversation):
    graph.script_sends(Reply(drop=True))
    row = queued_row(conversation)

    outcome = outbound_send(row.pk)

    row.refresh_from_db()
    assert outcome.retry_in is None
    assert row.status == Status.FAILED and row.error_code == "unanswered"


# --- 131047 reported later, by a status -----------------------------------------------------------------


def test_a_reminder_reported_failed_with_131047_goes_again_as_the_template(client, wa_settings, graph, conversation):
    from tests.channels_wa.conftest import deliver

    row = reminder(conversation)
    row.refresh_from_db()
    failed = {
        "id": row.provider_message_id,
        "status": "failed",
        "timestamp": str(int(time.time())),
        "recipient_id": SAMPLE_SENDER,
        "biz_opaque_callback_data": f"alfred-out:{row.pk}",
        "errors": [{"code": 131047, "title": "Re-engagement message"}],
    }

    deliver(client, _status_body(failed))
    deliver(client, _status_body(failed))  # Meta redelivers the report: still one resend

    row.refresh_from_db()
    assert row.status == Status.FAILED and row.error_code == "131047"
    assert [s["type"] for s in graph.sends()] == ["interactive", "template"]
    resend = Message.objects.get(direction=Direction.OUTBOUND, raw__fallback_for=row.pk)
    assert resend.status == Status.SENT and resend.proactive


def _status_body(status: dict) -> dict:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "1",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": SAMPLE_DISPLAY_NUMBER,
                                "phone_number_id": SAMPLE_PHONE_ID,
                            },
                            "statuses": [status],
                        },
                    }
                ],
            }
        ],
    }


def test_a_whatsapp_conversation_with_a_member_gets_the_reply_through_the_real_inbox(wa_settings, graph, ana):
    created = message_record_inbound(
        channel="whatsapp",
        provider_message_id="wamid.direct",
        conversation_external_id=SAMPLE_SENDER,
        sender=ana,
        text="ping",
        raw={},
    )

    assert created is not None
    assert [s["text"]["body"] for s in graph.sends()] == ["pong"]


def test_an_answer_without_a_message_id_is_failed_not_retried(wa_settings, graph, conversation):
    graph.script_sends(Reply(body={"messaging_product": "whatsapp"}))
    row = queued_row(conversation)

    outcome = outbound_send(row.pk)

    row.refresh_from_db()
    assert outcome.retry_in is None
    assert row.status == Status.FAILED and row.error_code == "unexpected"
    assert len(graph.sends(answered=None)) == 1
