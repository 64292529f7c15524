"""The chore reminder round trip on WhatsApp: the beat task's dispatch sends the morning reminder (reply
buttons inside the 24-hour window, the approved template outside it), the member taps "Done", the tap comes
back signed through the real webhook view, and ``chore_done`` runs for that chore."""

from datetime import UTC, date, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from alfred.interactive import button_id
from alfred.models import Conversation, Direction, Member, MemberAddress, Message, Path, Status, ToolCall
from home_skills import selectors
from home_skills.models import Chore, ChoreCompletion, ChoreReminder
from home_skills.tasks import chore_reminders_dispatch
from tests.channels_wa.conftest import deliver, sample, values, vary_ids
from tests.standins.graph_api import GraphAPIStandIn

pytestmark = [pytest.mark.home, pytest.mark.django_db(transaction=True)]

TRASH_DONE = button_id("chore_done", {"chore": "trash"})


@pytest.fixture
def leo(transactional_db: None) -> Member:
    """The demo family (seed_demo), with Leo's clock at 09:xx now and only his trash chore due today.

    The dispatcher reads the real clock, so Leo's time zone is chosen to make it his morning; every other
    chore is moved a week ahead so nobody else (in whatever their local hour is) is due."""
    call_command("seed_demo", stdout=StringIO())
    leo = Member.objects.get(name="Leo")
    utc_hour = timezone.now().astimezone(UTC).hour
    offset = (8 - utc_hour + 12) % 24 - 12 + 1
    leo.timezone = f"Etc/GMT{-offset:+d}" if offset else "UTC"  # Etc/GMT-2 means UTC+2
    leo.save()
    today = selectors.local_today(leo)
    Chore.objects.update(next_due=today + timedelta(days=7))
    Chore.objects.filter(title="trash").update(next_due=today, current_assignee=leo)
    return leo


def whatsapp_number(member: Member) -> str:
    return MemberAddress.objects.get(member=member, channel="whatsapp").address


def from_member(body: dict[str, Any], member: Member) -> dict[str, Any]:
    """A sample delivery as sent by ``member``'s phone (sender and contact number)."""
    number = whatsapp_number(member)
    for value in values(body):
        for contact in value.get("contacts", []):
            contact["wa_id"] = number
        for message in value.get("messages", []):
            message["from"] = number
    return vary_ids(body)


def leo_writes(client, leo: Member, text: str) -> None:
    body = from_member(sample("message", "text"), leo)
    values(body)[0]["messages"][0]["text"]["body"] = text
    assert deliver(client, body).status_code == 200


def reminder_row() -> Message:
    return Message.objects.get(direction=Direction.OUTBOUND, kind="reminder")


def trash() -> Chore:
    return Chore.objects.get(title="trash")


def assert_trash_done_by(leo: Member, today: date, tap: dict[str, Any], graph: GraphAPIStandIn) -> None:
    (completion,) = ChoreCompletion.objects.filter(chore__title="trash", kind=ChoreCompletion.Kind.DONE)
    assert (completion.member, completion.due_date) == (leo, today)
    next_due = trash().next_due
    assert next_due is not None and next_due > today and next_due.weekday() in (0, 3)  # FREQ=WEEKLY;BYDAY=MO,TH
    (tap_id,) = [m["id"] for m in values(tap)[0]["messages"]]
    inbound = Message.objects.get(direction=Direction.INBOUND, provider_message_id=tap_id)
    assert (inbound.kind, inbound.status, inbound.path) == ("interactive", Status.HANDLED, Path.RULES)
    assert inbound.intent == {"tool": "chore_done", "args": {"chore": "trash"}}
    assert [(c.tool, c.args, c.ok) for c in ToolCall.objects.filter(message=inbound)] == [
        ("chore_done", {"chore": "trash"}, True)
    ]
    reply = graph.sends()[-1]
    assert reply["type"] == "text" and reply["to"] == whatsapp_number(leo)
    assert reply["text"]["body"].startswith("✅ trash done, thanks Leo! Next: ")
    assert reply["context"] == {"message_id": tap_id}


def test_a_reminder_inside_the_window_has_done_buttons_and_a_tap_completes_the_chore(
    client, wa_settings, graph: GraphAPIStandIn, leo: Member
):
    today = selectors.local_today(leo)
    leo_writes(client, leo, "ping")  # he wrote a moment ago: the 24-hour window is open
    graph.clear()

    chore_reminders_dispatch.delay()

    (sent,) = graph.sends()
    assert sent["type"] == "interactive" and sent["to"] == "34600000002"
    assert sent["interactive"]["body"] == {"text": "Good morning, Leo! Your chores for today: trash."}
    (button,) = sent["interactive"]["action"]["buttons"]
    assert button == {"type": "reply", "reply": {"id": TRASH_DONE, "title": "Done ✅ trash"}}
    row = reminder_row()
    assert row.status == Status.SENT and row.proactive
    assert ChoreReminder.objects.get(member=leo, local_date=today).message == row

    # Leo taps the button: WhatsApp echoes the button's id in an interactive button_reply.
    tap = from_member(sample("callback_button", "button"), leo)
    message = values(tap)[0]["messages"][0]
    message["context"]["id"] = row.provider_message_id
    message["interactive"]["button_reply"] = dict(button["reply"])
    deliver(client, tap)

    assert_trash_done_by(leo, today, tap, graph)
    assert len(graph.sends()) == 2

    # The same delivery again (Meta retries) and a second tap: the chore is done once.
    deliver(client, tap)
    second_tap = from_member(sample("callback_button", "button"), leo)
    values(second_tap)[0]["messages"][0]["interactive"]["button_reply"] = dict(button["reply"])
    deliver(client, second_tap)

    assert ChoreCompletion.objects.filter(chore__title="trash", kind=ChoreCompletion.Kind.DONE).count() == 1
    bodies = [s["text"]["body"] for s in graph.sends()[2:]]
    assert len(bodies) == 1 and bodies[0].startswith("trash was already done today.")


def test_a_reminder_after_the_window_closed_goes_as_the_template_and_its_quick_reply_completes_the_chore(
    client, wa_settings, graph: GraphAPIStandIn, leo: Member
):
    today = selectors.local_today(leo)
    leo_writes(client, leo, "ping")
    # A day and more has passed since he last wrote.
    Conversation.objects.filter(member=leo).update(last_inbound_at=timezone.now() - timedelta(hours=25))
    graph.clear()

    chore_reminders_dispatch.delay()

    assert [s["type"] for s in graph.sends(answered=None)] == ["template"]  # no free-form attempt first
    (sent,) = graph.sends()
    template = sent["template"]
    assert template["name"] == "chore_reminder" and template["language"] == {"code": "en"}
    body, quick_reply = template["components"]
    assert [p["text"] for p in body["parameters"]] == ["Leo", "trash"]
    assert quick_reply["sub_type"] == "QUICK_REPLY"
    assert quick_reply["parameters"] == [{"type": "payload", "payload": TRASH_DONE}]
    row = reminder_row()
    assert row.status == Status.SENT and row.raw["sent_as"] == "template"

    # Leo taps the template's quick reply: WhatsApp sends a "button" message carrying the payload.
    tap = from_member(sample("callback_button", "quick_reply"), leo)
    message = values(tap)[0]["messages"][0]
    message["context"]["id"] = row.provider_message_id
    message["button"] = {"payload": quick_reply["parameters"][0]["payload"], "text": "Done ✅ trash"}
    deliver(client, tap)

    assert_trash_done_by(leo, today, tap, graph)
    assert [s["type"] for s in graph.sends()] == ["template", "text"]  # the tap reopened the window
