"""Morning reminders: one proactive message per member and local day, at the member's own 08:00."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from alfred.content import Button, OutboundContent
from alfred.models import Conversation, Direction, Member, Message
from home_skills import selectors
from home_skills.models import ChoreReminder
from home_skills.services.chores import chore_create
from home_skills.services.reminders import chore_reminder_record
from home_skills.tasks import chore_reminder_send, chore_reminders_dispatch
from tests.helpers import member_on

pytestmark = pytest.mark.home

MONDAY = date(2025, 1, 6)
# 07:30 UTC on that Monday: 08:30 in Madrid (winter, UTC+1), 02:30 in New York.
MADRID_MORNING = datetime(2025, 1, 6, 7, 30, tzinfo=UTC)
NEW_YORK_MORNING = datetime(2025, 1, 6, 13, 30, tzinfo=UTC)


@pytest.fixture
def household(db: None) -> dict[str, Member]:
    people = {
        "Ana": member_on("whatsapp", "+34 600 000 001", name="Ana", language="es"),
        "Leo": member_on("whatsapp", "+1 555 0102", name="Leo", language="en", timezone="America/New_York"),
        "Maria": member_on("whatsapp", "+34600000003", name="Maria", language="es"),
        "Pepe": Member.objects.create(name="Pepe", language="es"),
    }
    chores = [("vacuum", "Ana"), ("trash", "Leo"), ("dishes", "Leo"), ("ironing", "Pepe")]
    for title, who in chores:
        chore_create(title=title, recurrence="FREQ=DAILY", assignees=[people[who]], member=None, today=MONDAY)
    return people


def reminders() -> list[Message]:
    return list(Message.objects.filter(direction=Direction.OUTBOUND, kind="reminder").order_by("id"))


def test_each_member_is_due_at_their_own_local_morning(household):
    madrid = selectors.reminders_pending(now=MADRID_MORNING)
    new_york = selectors.reminders_pending(now=NEW_YORK_MORNING)
    night = selectors.reminders_pending(now=MADRID_MORNING - timedelta(hours=2))

    assert madrid == [(household["Ana"].pk, MONDAY)]  # Maria has nothing due; Pepe has no WhatsApp
    assert new_york == [(household["Leo"].pk, MONDAY)]  # and Ana's morning window has passed
    assert night == []


def test_the_reminder_is_a_proactive_message_on_the_members_channel_with_done_buttons(household):
    leo = household["Leo"]

    message = chore_reminder_record(member=leo, local_date=MONDAY)

    assert message is not None and message.proactive and message.kind == "reminder"
    assert message.text == "Good morning, Leo! Your chores for today: dishes, trash."
    conversation = Conversation.objects.get(pk=message.conversation_id)
    assert (conversation.channel, conversation.external_id, conversation.member) == ("whatsapp", "15550102", leo)
    content = OutboundContent.from_json(message.content)
    assert content.notice_values == ("Leo", "dishes, trash")
    assert content.buttons == (
        Button(title="Done ✅ dishes", tool="chore_done", args={"chore": "dishes"}),
        Button(title="Done ✅ trash", tool="chore_done", args={"chore": "trash"}),
    )
    assert message.raw == {}


def test_a_member_gets_at_most_one_reminder_per_local_day(household):
    ana = household["Ana"]

    first = chore_reminder_record(member=ana, local_date=MONDAY)
    second = chore_reminder_record(member=ana, local_date=MONDAY)
    next_day = chore_reminder_record(member=ana, local_date=MONDAY + timedelta(days=1))

    assert first is not None and second is None and next_day is not None
    assert first.text == "¡Buenos días, Ana! Tus tareas de hoy: vacuum."
    assert len(reminders()) == 2
    assert selectors.reminders_pending(now=MADRID_MORNING) == []


def test_the_database_refuses_a_second_reminder_marker_for_the_same_day(household):
    ChoreReminder.objects.create(member=household["Ana"], local_date=MONDAY)

    with pytest.raises(IntegrityError), transaction.atomic():
        ChoreReminder.objects.create(member=household["Ana"], local_date=MONDAY)


def test_members_without_whatsapp_or_without_due_chores_get_nothing(household):
    assert chore_reminder_record(member=household["Pepe"], local_date=MONDAY) is None
    assert chore_reminder_record(member=household["Maria"], local_date=MONDAY) is None
    assert reminders() == []


def test_at_most_three_buttons_but_every_chore_is_named(household):
    leo = household["Leo"]
    for title in ("a very long chore title indeed", "bins", "plants"):
        chore_create(title=title, recurrence="FREQ=DAILY", assignees=[leo], member=None, today=MONDAY)

    message = chore_reminder_record(member=leo, local_date=MONDAY)

    assert message is not None
    content = OutboundContent.from_json(message.content)
    assert [button.args["chore"] for button in content.buttons] == ["a very long chore title indeed", "bins", "dishes"]
    assert content.notice_values is not None
    assert content.notice_values[1] == "a very long chore title indeed, bins, dishes, plants, trash"


def test_the_beat_task_records_the_reminder_once_even_when_it_runs_again(household):
    """The dispatcher uses the real clock: Maria's time zone is chosen so that it is morning for her now."""
    maria = household["Maria"]
    utc_hour = timezone.now().astimezone(UTC).hour
    offset = (8 - utc_hour + 12) % 24 - 12 + 1  # her local hour is 09:xx
    maria.timezone = f"Etc/GMT{-offset:+d}" if offset else "UTC"  # Etc/GMT-2 means UTC+2
    maria.save()
    local_today = timezone.now().astimezone(selectors.member_zone(maria)).date()
    chore_create(title="laundry", recurrence="FREQ=DAILY", assignees=[maria], member=None, today=local_today)

    chore_reminders_dispatch.delay()
    chore_reminders_dispatch.delay()
    chore_reminder_send.delay(maria.pk, local_today.isoformat())

    sent = [m for m in reminders() if m.conversation.member == maria]
    assert len(sent) == 1 and "laundry" in sent[0].text


def test_the_reminder_task_is_on_the_beat_schedule():
    entry = settings.CELERY_BEAT_SCHEDULE["home-chore-reminders"]

    assert entry["task"] == chore_reminders_dispatch.name == "home_skills.tasks.chore_reminders_dispatch"
    assert entry["schedule"] <= 15 * 60  # often enough to catch every member's 08:00
