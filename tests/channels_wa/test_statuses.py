"""Delivery reports: deduped per (message id, status), never moving a row backwards, shown in the admin; and
what settles a send its worker died in: WhatsApp's report of it, or its absence."""

import threading
import time
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.utils import timezone

from alfred.models import Conversation, Direction, Message, Status
from alfred.outbox import outbound_send
from alfred.sweeper import sweep_stuck
from channels_wa.models import StatusEvent
from tests.channels_wa.conftest import SAMPLE_SENDER, deliver, sample, values
from tests.standins.graph_api import Reply

pytestmark = [pytest.mark.home, pytest.mark.django_db(transaction=True)]


def whatsapp_reply(conversation: Conversation, text: str, status: str, **fields: object) -> Message:
    return Message.objects.create(
        direction=Direction.OUTBOUND, channel="whatsapp", conversation=conversation, text=text, status=status, **fields
    )


@pytest.fixture
def sent_row(ana) -> Message:
    conversation = Conversation.objects.create(channel="whatsapp", external_id=SAMPLE_SENDER, member=ana)
    return whatsapp_reply(conversation, "hi", Status.SENT, provider_message_id="wamid.out-1")


def report(client: Client, wamid: str, status: str, **extra: object) -> int:
    body = sample("message_status", "delivered")
    item = values(body)[0]["statuses"][0]
    item.update(id=wamid, status=status, **extra)
    return deliver(client, body).status_code


def test_reports_arriving_out_of_order_never_move_a_message_backwards(client, wa_settings, sent_row):
    for status in ("read", "delivered", "sent"):
        assert report(client, "wamid.out-1", status) == 200

    sent_row.refresh_from_db()
    assert sent_row.status == Status.READ
    assert sorted(StatusEvent.objects.values_list("status", flat=True)) == ["delivered", "read", "sent"]


def test_reports_in_order_walk_the_message_forward(client, wa_settings, sent_row):
    seen = []
    for status in ("delivered", "read"):
        report(client, "wamid.out-1", status)
        sent_row.refresh_from_db()
        seen.append(sent_row.status)

    assert seen == [Status.DELIVERED, Status.READ]


def test_a_redelivered_report_is_stored_once(client, wa_settings, sent_row):
    for _ in range(3):
        assert report(client, "wamid.out-1", "delivered") == 200

    assert StatusEvent.objects.filter(provider_message_id="wamid.out-1").count() == 1


def test_a_failure_report_keeps_its_error_code_and_a_late_sent_does_not_undo_it(client, wa_settings, sent_row):
    errors = [{"code": 131026, "title": "Message undeliverable", "message": "Message undeliverable"}]
    report(client, "wamid.out-1", "failed", errors=errors)
    report(client, "wamid.out-1", "sent")

    sent_row.refresh_from_db()
    assert sent_row.status == Status.FAILED
    assert sent_row.error_code == "131026" and sent_row.error == "Message undeliverable"


def test_a_failure_report_after_read_does_not_fail_a_read_message(client, wa_settings, sent_row):
    report(client, "wamid.out-1", "read")
    report(client, "wamid.out-1", "failed", errors=[{"code": 131000, "title": "Something went wrong"}])

    sent_row.refresh_from_db()
    assert sent_row.status == Status.READ


def test_a_report_about_a_message_alfred_does_not_know_is_kept_and_harmless(client, wa_settings, ana):
    assert report(client, "wamid.somebody-else", "delivered") == 200

    event = StatusEvent.objects.get()
    assert event.message is None and event.status == "delivered"


def test_a_report_that_arrives_while_the_send_is_still_waiting_for_meta_wins(client, wa_settings, graph, sent_row):
    """Meta's "delivered" can reach the webhook before the worker has written Meta's answer down."""
    row = whatsapp_reply(sent_row.conversation, "race", Status.QUEUED)
    graph.script_sends(Reply(delay=0.8))

    def send() -> None:
        try:
            outbound_send(row.pk)
        finally:
            connection.close()

    sender = threading.Thread(target=send)
    sender.start()
    while not graph.requests:
        time.sleep(0.01)

    assert report(client, "wamid.standin.1", "delivered", biz_opaque_callback_data=f"alfred-out:{row.pk}") == 200
    sender.join()

    row.refresh_from_db()
    assert row.status == Status.DELIVERED
    assert row.provider_message_id == "wamid.standin.1"


def test_failed_sends_show_their_error_code_in_the_admin(client, wa_settings, sent_row):
    report(client, "wamid.out-1", "failed", errors=[{"code": 131049, "title": "Healthy ecosystem"}])
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)

    events = client.get("/admin/channels_wa/statusevent/?status=failed")
    log = client.get("/admin/alfred/message/?status=failed")
    detail = client.get(f"/admin/channels_wa/statusevent/{StatusEvent.objects.get().pk}/change/")

    assert events.status_code == 200 and "131049" in events.content.decode()
    assert "Healthy ecosystem" in events.content.decode()
    assert log.status_code == 200 and "131049" in log.content.decode()
    assert detail.status_code == 200
    assert client.get("/admin/channels_wa/statusevent/add/").status_code == 403


# A worker with no heartbeat key: killed.
DEAD_WORKER = "host:4242:deadbeef"
NO_BACKLOG = lambda: 0  # noqa: E731


def interrupted_send(conversation: Conversation, *, claimed_seconds_ago: float) -> Message:
    """A reply whose worker died after claiming it for sending: the request may or may not have gone out."""
    claimed_at = timezone.now() - timedelta(seconds=claimed_seconds_ago)
    return whatsapp_reply(
        conversation, "pong", Status.SENDING, claimed_at=claimed_at, claimed_by=DEAD_WORKER, attempts=1
    )


def test_an_interrupted_send_whatsapp_never_reported_is_sent_again_once(wa_settings, graph, sent_row):
    wa_settings.ALFRED_UNCONFIRMED_SEND_SECONDS = 5
    row = interrupted_send(sent_row.conversation, claimed_seconds_ago=6)

    first = sweep_stuck(queue_depth=NO_BACKLOG)
    second = sweep_stuck(queue_depth=NO_BACKLOG)

    row.refresh_from_db()
    assert (first.outbound_resent, first.outbound_abandoned, second.outbound_resent) == (1, 0, 0)
    assert [send["biz_opaque_callback_data"] for send in graph.sends()] == [f"alfred-out:{row.pk}"]
    assert (row.status, row.attempts) == (Status.SENT, 2)


def test_an_interrupted_send_whatsapp_reported_is_settled_by_the_report_and_not_sent_again(
    client, wa_settings, graph, sent_row
):
    wa_settings.ALFRED_UNCONFIRMED_SEND_SECONDS = 5
    row = interrupted_send(sent_row.conversation, claimed_seconds_ago=6)

    assert report(client, "wamid.reached", "sent", biz_opaque_callback_data=f"alfred-out:{row.pk}") == 200
    swept = sweep_stuck(queue_depth=NO_BACKLOG)

    row.refresh_from_db()
    assert (swept.outbound_resent, swept.outbound_abandoned, graph.sends()) == (0, 0, [])
    assert (row.status, row.provider_message_id) == (Status.SENT, "wamid.reached")


def test_an_interrupted_send_waits_for_its_report_and_is_failed_when_resending_is_turned_off(
    wa_settings, graph, sent_row
):
    wa_settings.ALFRED_UNCONFIRMED_SEND_SECONDS = 60
    row = interrupted_send(sent_row.conversation, claimed_seconds_ago=6)

    waiting = sweep_stuck(queue_depth=NO_BACKLOG)
    row.refresh_from_db()
    status_while_waiting = row.status
    wa_settings.ALFRED_UNCONFIRMED_SEND_SECONDS = 0
    turned_off = sweep_stuck(queue_depth=NO_BACKLOG)

    row.refresh_from_db()
    assert (waiting.outbound_resent, waiting.outbound_abandoned, status_while_waiting) == (0, 0, Status.SENDING)
    assert (turned_off.outbound_abandoned, row.status, graph.sends()) == (1, Status.FAILED, [])


def test_a_send_whose_answer_never_came_is_sent_again_only_if_whatsapp_does_not_report_it(
    client, wa_settings, graph, sent_row
):
    wa_settings.ALFRED_UNCONFIRMED_SEND_SECONDS = 5
    wa_settings.WHATSAPP_API_TIMEOUT = 0.3
    posted: list[dict] = []
    graph.report_sends(posted.append)
    graph.script_sends(Reply(delay=0.6), Reply(delay=0.6))
    reached, lost = (whatsapp_reply(sent_row.conversation, text, Status.QUEUED) for text in ("reached", "lost"))
    for row in (reached, lost):
        outbound_send(row.pk)
    time.sleep(0.5)  # the stand-in answers into the void, and reports both sends
    # WhatsApp's report of the first arrives; the second's is lost on the way, as if it had never been sent.
    assert len(posted) == 2 and deliver(client, posted[0]).status_code == 200
    later = timezone.now() + timedelta(seconds=6)

    swept = sweep_stuck(now=later, queue_depth=NO_BACKLOG)

    reached.refresh_from_db()
    lost.refresh_from_db()
    assert swept.outbound_resent == 1
    assert reached.status == Status.SENT
    assert (lost.status, lost.attempts) == (Status.SENT, 2)
    trackers = [send["biz_opaque_callback_data"] for send in graph.sends()]
    assert sorted(trackers) == sorted([f"alfred-out:{reached.pk}", f"alfred-out:{lost.pk}", f"alfred-out:{lost.pk}"])


def test_an_unfinished_send_is_not_sent_again_past_the_attempts_limit(wa_settings, graph, sent_row):
    wa_settings.ALFRED_UNCONFIRMED_SEND_SECONDS = 5
    row = interrupted_send(sent_row.conversation, claimed_seconds_ago=6)
    Message.objects.filter(pk=row.pk).update(attempts=wa_settings.ALFRED_OUTBOUND_MAX_ATTEMPTS)

    swept = sweep_stuck(queue_depth=NO_BACKLOG)

    row.refresh_from_db()
    assert (swept.outbound_resent, swept.outbound_abandoned, row.status, graph.sends()) == (0, 1, Status.FAILED, [])
