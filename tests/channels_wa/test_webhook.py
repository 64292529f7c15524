"""The webhook through the real view: signatures, limits, routing, every sample payload (ours, and the
shared real ones when present), redeliveries, and Postgres/Redis going away."""

import io
import json
import time
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.utils import timezone

from alfred.interactive import button_id
from alfred.models import Conversation, Direction, MemberAddress, Message, Status, ToolCall
from alfred.sweeper import sweep_stuck
from channels_wa.channel import wa_id_from_phone
from channels_wa.models import StatusEvent
from tests.channels_wa.conftest import (
    APP_SECRET,
    OTHER_MEMBER_NUMBER,
    OWN,
    SAMPLE_SENDER,
    SAMPLE_USER_ID,
    SHARED,
    URL,
    VERIFY_TOKEN,
    all_sample_cases,
    deliver,
    message_ids,
    phone_id_of,
    sample,
    sample_cases,
    values,
    vary_ids,
)
from tests.conftest import sign
from tests.helpers import all_at_once, broker_down_for_publishers, member_on
from tests.standins.tcp_cut import CuttingProxy

pytestmark = [pytest.mark.home, pytest.mark.django_db(transaction=True)]

FALLBACK = "Sorry, I did not understand that"
ONLY_TEXT = "I can only read text messages and voice notes"
VOICE = "Voice notes need transcription"
EDITS = "I only act on new messages"

# What each sample must become: (kind of the inbound row, the reply it gets; None = no reply at all).
EXPECTED: dict[tuple[str, str], tuple[str, str | None]] = {
    ("callback_button", "button"): ("interactive", FALLBACK),
    ("callback_button", "quick_reply"): ("interactive", FALLBACK),
    ("callback_button", "quick_reply_without_context"): ("interactive", FALLBACK),
    ("callback_selection", "callback"): ("interactive", FALLBACK),
    ("callback_selection", "description"): ("interactive", FALLBACK),
    ("deleted_message", "revoke"): ("revoke", None),
    ("edited_message", "image"): ("edit", EDITS),
    ("message", "text"): ("text", FALLBACK),
    ("message", "image"): ("image", ONLY_TEXT),
    ("message", "image_with_caption"): ("image", FALLBACK),
    ("message", "media_with_url"): ("image", ONLY_TEXT),
    ("message", "video"): ("video", FALLBACK),
    ("message", "document"): ("document", FALLBACK),
    ("message", "audio"): ("audio", VOICE),
    ("message", "voice"): ("audio", VOICE),
    ("message", "static_sticker"): ("sticker", None),
    ("message", "animated_sticker"): ("sticker", None),
    ("message", "reaction"): ("reaction", None),
    ("message", "unreaction_empty"): ("reaction", None),
    ("message", "unreaction_no_emoji"): ("reaction", None),
    ("message", "current_location"): ("location", ONLY_TEXT),
    ("message", "chosen_location"): ("location", ONLY_TEXT),
    ("message", "contacts"): ("contacts", ONLY_TEXT),
    ("message", "order"): ("order", ONLY_TEXT),
    ("message", "unsupported"): ("unsupported", ONLY_TEXT),
    ("message", "unsupported_with_type"): ("unsupported", ONLY_TEXT),
    ("message", "reply"): ("text", FALLBACK),
    ("message", "forwarded"): ("text", FALLBACK),
    ("message", "forwarded_many_times"): ("text", FALLBACK),
    ("message", "interactive_message_with_err"): ("unsupported", ONLY_TEXT),
    ("message", "referral"): ("text", FALLBACK),
    ("system", "phone_number_change"): ("system", None),
    ("system", "identity_change"): ("system", None),
}
# Delivery reports: the status an outbound row that was "sent" ends in.
EXPECTED_STATUS = {
    ("message_status", "sent"): Status.SENT,
    ("message_status", "delivered"): Status.DELIVERED,
    ("message_status", "read"): Status.READ,
    ("message_status", "played"): Status.READ,
    ("message_status", "failed"): Status.FAILED,
    ("message_status", "with_tracker"): Status.SENT,
    ("message_status", "group"): Status.READ,
}


def inbound_rows() -> list[Message]:
    return list(Message.objects.filter(direction=Direction.INBOUND))


def text_sample(wamid: str, text: str = "ping", sender: str = SAMPLE_SENDER) -> dict:
    body = sample("message", "text")
    message = values(body)[0]["messages"][0]
    message.update(id=wamid, text={"body": text}, **{"from": sender})
    values(body)[0]["contacts"][0]["wa_id"] = sender
    return body


# --- the handshake ------------------------------------------------------------------------------------


def test_the_subscription_handshake_echoes_the_challenge_for_the_right_token(client: Client, wa_settings):
    response = client.get(
        URL, {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"}
    )

    assert response.status_code == 200
    assert response.content == b"1158201444"


@pytest.mark.parametrize(
    "query",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
        {"hub.challenge": "1"},
    ],
)
def test_the_handshake_is_refused_without_the_right_token_and_mode(client: Client, wa_settings, query):
    response = client.get(URL, query)

    assert response.status_code == 403
    assert b"1" not in response.content


# --- refusing what is not Meta's -------------------------------------------------------------------------


def test_a_delivery_with_a_bad_signature_is_refused_and_nothing_is_stored(client: Client, wa_settings, graph, ana):
    response = deliver(client, text_sample("wamid.forged"), secret="not-the-app-secret")

    assert response.status_code == 403
    assert inbound_rows() == [] and graph.requests == []


def test_a_signature_over_other_bytes_is_refused(client: Client, wa_settings, graph, ana):
    body = json.dumps(text_sample("wamid.tampered")).encode()
    from tests.conftest import sign

    signature = sign(body, "test-app-secret")
    tampered = body.replace(b"ping", b"pong")

    response = client.post(URL, data=tampered, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=signature)

    assert response.status_code == 403
    assert inbound_rows() == []


@pytest.mark.parametrize("header", [None, "", "md5=abc", "sha256="])
def test_a_delivery_without_a_usable_signature_is_refused(client: Client, wa_settings, ana, header):
    raw = json.dumps(text_sample("wamid.unsigned")).encode()
    headers = {} if header is None else {"HTTP_X_HUB_SIGNATURE_256": header}

    response = client.post(URL, data=raw, content_type="application/json", **headers)

    assert response.status_code in (401, 403)
    assert response.status_code == (401 if not header else 403)
    assert inbound_rows() == []


def test_a_body_over_3_mb_is_refused_with_413_before_anything_is_stored(client: Client, wa_settings, ana):
    body = text_sample("wamid.huge", text="x" * (3 * 1024 * 1024))

    response = deliver(client, body)

    assert response.status_code == 413
    assert inbound_rows() == []


def test_a_signature_header_with_non_ascii_text_is_refused_not_a_500(client: Client, wa_settings, ana):
    raw = json.dumps(text_sample("wamid.accents")).encode()

    response = client.post(URL, data=raw, content_type="application/json", HTTP_X_HUB_SIGNATURE_256="sha256=éé")

    assert response.status_code == 403
    assert inbound_rows() == []


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_json_with_nan_or_infinity_is_malformed(client: Client, wa_settings, ana, constant):
    raw = json.dumps(text_sample("wamid.nan")).replace('"timestamp": "', f'"odd": {constant}, "timestamp": "', 1)

    response = deliver(client, raw.encode())

    assert constant in raw
    assert response.status_code == 400
    assert inbound_rows() == []


@pytest.mark.django_db(transaction=True)
def test_a_lone_surrogate_in_the_text_is_dropped_and_the_message_kept(client: Client, wa_settings, graph, ana):
    # json.dumps writes the half emoji pair as the escape \ud83d, exactly as a client could send it.
    raw = json.dumps(text_sample("wamid.surrogate", text="pi\ud83dng")).encode()

    response = deliver(client, raw)

    assert rb"\ud83d" in raw
    assert response.status_code == 200
    (inbound,) = inbound_rows()
    assert inbound.text == "ping"
    assert inbound.status == Status.HANDLED


def test_the_payload_is_kept_as_received_emoji_and_all(client: Client, wa_settings, graph, ana):
    body = text_sample("wamid.emoji", text="🥛 leche, 🍞 pan")

    assert deliver(client, body).status_code == 200

    (inbound,) = inbound_rows()
    assert inbound.text == "🥛 leche, 🍞 pan"
    assert inbound.raw["message"] == values(body)[0]["messages"][0]


def test_malformed_json_is_a_400(client: Client, wa_settings, ana):
    response = deliver(client, b'{"object": "whatsapp_business_account", "entry": [')

    assert response.status_code == 400
    assert inbound_rows() == []


@pytest.mark.parametrize(
    "body",
    [
        b"[1, 2, 3]",
        b'"hello"',
        b'{"object": "page", "entry": [{"id": "1", "time": 1, "messaging": []}]}',
        b'{"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages", "value": 7}]}]}',
        b'{"entry": [{"changes": [{"field": "account_update", "value": {"event": "VERIFIED_ACCOUNT"}}]}]}',
    ],
)
def test_valid_json_of_an_unknown_shape_is_accepted_and_ignored(client: Client, wa_settings, graph, ana, body):
    response = deliver(client, body)

    assert response.status_code == 200
    assert inbound_rows() == [] and StatusEvent.objects.count() == 0 and graph.requests == []


def test_a_delivery_for_another_phone_number_is_ignored(client: Client, wa_settings, graph, ana):
    body = text_sample("wamid.other-number")
    values(body)[0]["metadata"]["phone_number_id"] = "9999999999999"

    response = deliver(client, body)

    assert response.status_code == 200
    assert inbound_rows() == [] and graph.requests == []


# --- every real payload --------------------------------------------------------------------------------


def test_every_fixture_has_an_expectation_and_every_expectation_a_fixture():
    assert sorted(set(EXPECTED) | set(EXPECTED_STATUS)) == sorted(sample_cases(OWN))


def test_every_shared_sample_case_has_an_expectation():
    """The shared real payloads run as extra cases; one without an expectation would go untested."""
    assert sorted(set(sample_cases(SHARED)) - set(EXPECTED) - set(EXPECTED_STATUS)) == []


def make_members_of(body: dict) -> None:
    """Every number a shared sample comes from (it has its own) belongs to a member, as Ana's does in ours."""
    for value in values(body):
        senders = [m.get("from", "") for m in value.get("messages", [])]
        numbers = senders + [c.get("wa_id", "") for c in value.get("contacts", [])]
        for wa_id in {wa_id_from_phone(str(number)) for number in numbers} - {""}:
            if not MemberAddress.objects.filter(channel="whatsapp", address=wa_id).exists():
                member_on("whatsapp", wa_id, name=f"Sender {wa_id}", language="en")


@pytest.mark.parametrize(
    ("source", "file", "case"),
    [c for c in all_sample_cases() if c[1:] in EXPECTED],
)
def test_every_sample_message_is_stored_and_answered_as_its_kind_needs(
    client: Client, wa_settings, graph, ana, source, file, case
):
    # Our edited-message fixture comes from another member, whose number is written the way a person types it.
    member_on("whatsapp", OTHER_MEMBER_NUMBER, name="Leo", language="en")
    body = vary_ids(sample(file, case, source))
    if source != OWN:
        make_members_of(body)
    wa_settings.PHONE_ID = phone_id_of(body)
    (wamid,) = message_ids(body)
    kind, reply = EXPECTED[(file, case)]

    response = deliver(client, body)

    assert response.status_code == 200
    inbound = Message.objects.get(channel="whatsapp", provider_message_id=wamid)
    assert inbound.kind == kind
    assert inbound.sender is not None
    sends = graph.sends()
    if reply is None:
        assert sends == []
        assert inbound.status == Status.IGNORED
        assert graph.read_receipts() == []
        return
    assert inbound.status == Status.HANDLED
    assert len(sends) == 1
    (sent,) = sends
    assert sent["type"] == "text" and sent["text"]["body"].startswith(reply)
    assert sent["context"] == {"message_id": wamid}
    assert sent["to"] == inbound.conversation.external_id
    assert [r["message_id"] for r in graph.read_receipts()] == [wamid]
    assert Message.objects.get(direction=Direction.OUTBOUND).status == Status.SENT


@pytest.mark.parametrize(
    ("source", "file", "case"),
    [c for c in all_sample_cases() if c[1:] in EXPECTED_STATUS],
)
def test_every_sample_status_updates_the_message_it_reports_on(
    client: Client, wa_settings, graph, ana, source, file, case
):
    body = vary_ids(sample(file, case, source))
    wa_settings.PHONE_ID = phone_id_of(body)
    (status,) = [s for value in values(body) for s in value["statuses"]]
    conversation = Conversation.objects.create(channel="whatsapp", external_id=SAMPLE_SENDER, member=ana)
    row = Message.objects.create(
        direction=Direction.OUTBOUND,
        channel="whatsapp",
        conversation=conversation,
        text="hi",
        status=Status.SENT,
        provider_message_id=status["id"],
    )

    response = deliver(client, body)

    assert response.status_code == 200
    row.refresh_from_db()
    assert row.status == EXPECTED_STATUS[(file, case)]
    event = StatusEvent.objects.get(provider_message_id=status["id"])
    assert event.message == row
    if case == "failed":
        assert (row.error_code, event.error_code) == ("130472", "130472")
        assert "experiment" in row.error
    assert graph.sends() == []


# --- who is talking ---------------------------------------------------------------------------------------


def test_an_unknown_sender_gets_one_polite_refusal_and_no_skills(client: Client, wa_settings, graph, transactional_db):
    deliver(client, text_sample("wamid.stranger-1", text="ping", sender="15550001111"))
    deliver(client, text_sample("wamid.stranger-2", text="help", sender="15550001111"))

    rows = inbound_rows()
    assert {r.sender for r in rows} == {None}
    assert {r.status for r in rows} == {Status.REFUSED}
    assert ToolCall.objects.count() == 0
    sends = graph.sends()
    assert len(sends) == 1 and "only talk to members" in sends[0]["text"]["body"]
    assert graph.read_receipts() == []


def test_a_member_added_in_the_admin_is_recognised_from_the_next_message(client: Client, wa_settings, graph):
    deliver(client, text_sample("wamid.before-joining", sender="15550002222"))
    member_on("whatsapp", "+1 555 000 2222", name="Zoe", language="en")

    deliver(client, text_sample("wamid.after-joining", sender="15550002222"))

    before, after = (Message.objects.get(provider_message_id=f"wamid.{w}-joining") for w in ("before", "after"))
    assert before.sender is None and after.sender.name == "Zoe"
    assert [s["text"]["body"] for s in graph.sends()][-1] == "pong"


def test_a_member_added_through_the_admin_form_with_a_typed_number_is_answered(client: Client, wa_settings, graph):
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)
    form = {
        "name": "Zoe",
        "language": "en",
        "timezone": "Europe/Madrid",
        "is_active": "on",
        "addresses-TOTAL_FORMS": "1",
        "addresses-INITIAL_FORMS": "0",
        "addresses-MIN_NUM_FORMS": "0",
        "addresses-MAX_NUM_FORMS": "1000",
        "addresses-0-channel": "whatsapp",
        "addresses-0-address": "+1 (555) 000-3333",
    }

    response = client.post("/admin/alfred/member/add/", form)
    client.logout()
    deliver(client, text_sample("wamid.admin-added", sender="15550003333"))

    assert response.status_code == 302, response.content.decode()[:2000]
    assert MemberAddress.objects.get(member__name="Zoe").address == "15550003333"
    assert Message.objects.get(provider_message_id="wamid.admin-added").sender.name == "Zoe"
    assert [s["text"]["body"] for s in graph.sends()] == ["pong"]


def test_a_member_known_only_by_business_scoped_id_is_recognised_and_answered_there(client: Client, wa_settings, graph):
    member_on("whatsapp", SAMPLE_USER_ID, name="Mia", language="en")
    body = sample("callback_button", "quick_reply_without_context")
    message = values(body)[0]["messages"][0]
    message.pop("from")
    message.update(id="wamid.bsuid-only", type="text", text={"body": "ping"})
    values(body)[0]["contacts"][0].pop("wa_id")

    response = deliver(client, body)

    assert response.status_code == 200
    (inbound,) = inbound_rows()
    assert inbound.sender.name == "Mia"
    (sent,) = graph.sends()
    assert sent["recipient"] == SAMPLE_USER_ID and "to" not in sent
    assert sent["text"]["body"] == "pong"


def test_a_tapped_alfred_button_runs_its_tool(client: Client, wa_settings, graph, ana):
    body = sample("callback_button", "button")
    reply = values(body)[0]["messages"][0]["interactive"]["button_reply"]
    reply.update(id=button_id("ping", {}), title="Ping")
    values(body)[0]["messages"][0]["id"] = "wamid.tap"

    deliver(client, body)

    (inbound,) = inbound_rows()
    assert inbound.kind == "interactive" and inbound.text == "Ping"
    assert inbound.intent == {"tool": "ping", "args": {}}
    assert ToolCall.objects.get(message=inbound).tool == "ping"
    assert graph.sends()[0]["text"]["body"] == "pong"


def test_one_post_with_several_entries_and_messages_records_and_answers_each(client: Client, wa_settings, graph, ana):
    body = text_sample("wamid.multi-1")
    first_value = values(body)[0]
    second = dict(first_value["messages"][0], id="wamid.multi-2", text={"body": "help"})
    first_value["messages"].append(second)
    other_entry = text_sample("wamid.multi-3")["entry"][0]
    body["entry"].append(other_entry)

    response = deliver(client, body)

    assert response.status_code == 200
    assert sorted(r.provider_message_id for r in inbound_rows()) == ["wamid.multi-1", "wamid.multi-2", "wamid.multi-3"]
    assert sorted(s["context"]["message_id"] for s in graph.sends()) == [
        "wamid.multi-1",
        "wamid.multi-2",
        "wamid.multi-3",
    ]


# --- redeliveries ---------------------------------------------------------------------------------------


def test_the_same_delivery_ten_times_at_once_and_again_later_is_one_message_and_one_reply(wa_settings, graph, ana):
    raw = json.dumps(text_sample("wamid.storm")).encode()
    statuses: list[int] = []
    errors = all_at_once(10, lambda: statuses.append(deliver(Client(), raw).status_code))
    again = deliver(Client(), raw)

    assert errors == []
    assert statuses == [200] * 10 and again.status_code == 200
    assert len(inbound_rows()) == 1
    assert len(graph.sends()) == 1
    assert Message.objects.filter(direction=Direction.OUTBOUND).count() == 1


# --- Postgres and Redis going away ------------------------------------------------------------------------


def _point_database_at(host: str, port: int) -> dict:
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(HOST=host, PORT=str(port))
    return saved


def _restore_database(saved: dict) -> None:
    connection.close()
    connection.settings_dict.update(HOST=saved["HOST"], PORT=saved["PORT"])


def test_postgres_down_answers_503_so_meta_retries_and_stores_nothing(client: Client, wa_settings, graph, ana):
    body = text_sample("wamid.pg-down")
    saved = _point_database_at("127.0.0.1", 9)  # nothing listens on port 9
    try:
        response = deliver(client, body)
    finally:
        _restore_database(saved)

    assert response.status_code == 503
    assert inbound_rows() == [] and graph.sends() == []
    assert deliver(client, body).status_code == 200  # Meta's retry, once Postgres is back
    assert len(inbound_rows()) == 1 and len(graph.sends()) == 1


def test_a_kept_alive_connection_that_died_between_deliveries_is_replaced_without_a_503(
    client: Client, wa_settings, graph, ana
):
    """The webhook skips Django's per-request SELECT 1; a connection Postgres dropped meanwhile (a restart,
    an idle timeout) is noticed on the insert itself and the delivery still goes in."""
    import psycopg

    assert deliver(client, text_sample("wamid.before-restart")).status_code == 200
    backend = connection.connection.info.backend_pid
    database = connection.settings_dict
    with psycopg.connect(
        host=database["HOST"], port=database["PORT"], user=database["USER"], dbname=database["NAME"], autocommit=True
    ) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [backend])

    response = deliver(client, text_sample("wamid.after-restart"))

    assert response.status_code == 200
    assert connection.connection.info.backend_pid != backend
    assert sorted(r.provider_message_id for r in inbound_rows()) == ["wamid.after-restart", "wamid.before-restart"]


def test_postgres_lost_in_the_middle_of_a_delivery_leaves_nothing_half_written(client: Client, wa_settings, graph, ana):
    body = text_sample("wamid.cut-first")
    second = dict(values(body)[0]["messages"][0], id="wamid.cut-second", text={"body": "help"})
    values(body)[0]["messages"].append(second)
    target = (connection.settings_dict["HOST"] or "127.0.0.1", int(connection.settings_dict["PORT"] or 5432))
    # The connection drops when the second message is looked up, after the first one was inserted.
    with CuttingProxy(target, trigger=b"wamid.cut-second") as proxy:
        saved = _point_database_at("127.0.0.1", proxy.port)
        try:
            response = deliver(client, body)
        finally:
            _restore_database(saved)

    assert proxy.cut.is_set()
    assert response.status_code == 503
    assert inbound_rows() == [] and Conversation.objects.count() == 0
    assert graph.sends() == []
    assert deliver(client, body).status_code == 200  # Meta's retry
    assert sorted(r.provider_message_id for r in inbound_rows()) == ["wamid.cut-first", "wamid.cut-second"]
    assert len(graph.sends()) == 2


def test_redis_down_during_a_delivery_still_answers_200_and_the_reply_follows_when_it_returns(
    wa_settings, graph, ana, celery_worker_thread
):
    from alfred.publisher import publisher

    with broker_down_for_publishers():
        response = deliver(Client(), text_sample("wamid.redis-down"))
        # The publisher tries the dead broker after the request has returned; wait for that attempt.
        assert publisher.flush()

    assert response.status_code == 200
    (inbound,) = inbound_rows()
    assert inbound.status == Status.RECEIVED and graph.sends() == []

    report = sweep_stuck(now=timezone.now() + timedelta(seconds=wa_settings.ALFRED_SWEEP_AFTER_SECONDS + 1))

    assert report.inbound_requeued == 1
    sends = graph.wait_for_sends(1)
    deadline = time.monotonic() + 15
    while (
        time.monotonic() < deadline
        and Message.objects.filter(direction=Direction.OUTBOUND, status=Status.SENT).count() < 1
    ):
        time.sleep(0.05)
    inbound.refresh_from_db()
    assert inbound.status == Status.HANDLED
    assert [s["text"]["body"] for s in sends] == ["pong"]
    assert Message.objects.get(direction=Direction.OUTBOUND).status == Status.SENT


# --- the web process stays light ---------------------------------------------------------------------------


def test_serving_the_webhook_never_imports_the_whatsapp_sdk():
    """pywa costs ~10 MiB in every process that imports it; the web process must not be one of them."""
    import subprocess
    import sys

    script = (
        "import sys, django; django.setup();"
        "from django.test import Client; from django.urls import resolve;"
        "import alfred.urls, channels_wa.admin;"
        "assert resolve('/webhooks/whatsapp/').func.__module__ == 'channels_wa.views';"
        "Client().get('/webhooks/whatsapp/', {'hub.mode': 'subscribe'});"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pywa', 'httpx')))"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)

    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]"


def test_odd_but_signed_values_are_stored_cleanly_or_skipped_never_a_5xx(client: Client, wa_settings, graph, ana):
    body = text_sample("wamid.nul", text="milk\x00 and eggs")
    value = values(body)[0]
    value["messages"].append(dict(value["messages"][0], id="wamid." + "x" * 300))
    value["messages"].append(dict(value["messages"][0], id=12345, text={"body": ["not", "text"]}))
    value["statuses"] = [
        {"id": "wamid.status\x00", "status": "read"},
        {"id": "wamid.status-ok", "status": "failed", "errors": [{"code": 1, "title": "bad\x00title"}]},
        {"id": "wamid.status-odd", "status": "x" * 40},
    ]

    response = deliver(client, body)

    assert response.status_code == 200
    stored = {m.provider_message_id: m.text for m in inbound_rows()}
    assert stored == {"wamid.nul": "milk and eggs", "12345": ""}
    assert list(StatusEvent.objects.values_list("provider_message_id", "error_title")) == [
        ("wamid.status-ok", "badtitle")
    ]


# --- hostile bodies: answered 4xx (or 200 and skipped), never a 5xx, nothing half-kept ------------------


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.mark.parametrize("depth", [100, 950, 5000])
def test_json_nested_past_the_limit_is_a_400_and_nothing_is_kept(client: Client, wa_settings, depth: int):
    # 5000 levels raise RecursionError inside the json module; 100 parse but no provider nests that deep.
    body = b'{"object": "whatsapp_business_account", "entry": ' + nested(depth) + b"}"

    response = deliver(client, body)

    assert response.status_code == 400
    assert not Message.objects.exists()


def test_nesting_a_provider_could_send_is_read_as_usual(client: Client, wa_settings, graph, ana):
    body = text_sample("wamid.nested-ok")
    values(body)[0]["extension"] = json.loads(nested(20))

    response = deliver(client, body)

    assert response.status_code == 200
    assert [m.provider_message_id for m in inbound_rows()] == ["wamid.nested-ok"]


def test_lone_surrogates_in_ids_and_statuses_are_skipped_not_a_5xx(client: Client, wa_settings, graph, ana):
    body = text_sample("wamid.fine")
    value = values(body)[0]
    value["messages"].append(dict(value["messages"][0], id="wamid.\ud800"))
    value["statuses"] = [{"id": "wamid.\udfff", "status": "read"}, {"id": "wamid.s", "status": "rea\ud800"}]
    raw = json.dumps(body).encode()  # ensure_ascii: the surrogates travel as \ud800 escapes, as an attacker sends them
    assert b"\\ud800" in raw

    response = deliver(client, raw)

    assert response.status_code == 200
    assert [m.provider_message_id for m in inbound_rows()] == ["wamid.fine"]
    assert not StatusEvent.objects.exists()


@pytest.mark.parametrize(
    "tracker", ["alfred-out:\u0661\u0662", "alfred-out:" + "9" * 30, "alfred-out:-1", "alfred-out:"]
)
def test_a_tracker_that_is_no_row_id_matches_nothing_and_is_not_a_5xx(client: Client, wa_settings, tracker: str):
    body = sample("message_status", "with_tracker")
    values(body)[0]["statuses"][0]["biz_opaque_callback_data"] = tracker

    response = deliver(client, body)

    assert response.status_code == 200


def chunked(client: Client, body: bytes, *, terminated: bool) -> Any:
    """A POST as gunicorn hands over a ``Transfer-Encoding: chunked`` one: de-chunked, without Content-Length,
    and ``wsgi.input_terminated`` set when the server guarantees the stream ends."""
    environ: dict[str, Any] = {
        "CONTENT_LENGTH": "",
        "HTTP_TRANSFER_ENCODING": "chunked",
        "HTTP_X_HUB_SIGNATURE_256": sign(body, APP_SECRET),
        "wsgi.input": io.BytesIO(body),
    }
    if terminated:
        environ["wsgi.input_terminated"] = True
    return client.post(URL, data=b"", content_type="application/json", **environ)


def test_a_chunked_body_the_server_cannot_bound_is_411_not_read_as_empty(client: Client, wa_settings, ana):
    response = chunked(client, json.dumps(text_sample("wamid.chunk-411")).encode(), terminated=False)

    assert response.status_code == 411
    assert not Message.objects.exists()


def test_a_chunked_body_is_read_when_bounded_and_413_over_the_limit(client: Client, settings, wa_settings, graph, ana):
    fine = chunked(client, json.dumps(text_sample("wamid.chunk-ok")).encode(), terminated=True)
    big = text_sample("wamid.chunk-big", text="x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    too_big = chunked(client, json.dumps(big).encode(), terminated=True)

    assert (fine.status_code, too_big.status_code) == (200, 413)
    assert [m.provider_message_id for m in inbound_rows()] == ["wamid.chunk-ok"]
