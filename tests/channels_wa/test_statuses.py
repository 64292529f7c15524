"""Delivery reports: deduped per (message id, status), never moving a row backwards, shown in the admin."""

import threading
import time

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client

from alfred.models import Conversation, Direction, Message, Status
from alfred.outbox import outbound_send
from channels_wa.models import StatusEvent
from tests.channels_wa.conftest import SAMPLE_SENDER, deliver, sample, values
from tests.standins.graph_api import Reply

pytestmark = [pytest.mark.home, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sent_row(ana) -> Message:
    conversation = Conversation.objects.create(channel="whatsapp", external_id=SAMPLE_SENDER, member=ana)
    return Message.objects.create(
        direction=Direction.OUTBOUND,
        channel="whatsapp",
        conversation=conversation,
        text="hi",
        status=Status.SENT,
        provider_message_id="wamid.out-1",
    )


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
    row = Message.objects.create(
        direction=Direction.OUTBOUND,
        channel="whatsapp",
        conversation=sent_row.conversation,
        text="race",
        status=Status.QUEUED,
    )
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
