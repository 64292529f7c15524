"""Socket Mode (``channels_slack/socket.py``) end to end: the real runner, bolt's handler and slack_sdk's
built-in client connect to a real WebSocket server on loopback (the Socket Mode stand-in), after asking the
Web API stand-in's ``apps.connections.open`` for its URL; envelopes go through the same bolt App and inbox
as the HTTP endpoint's requests, and answers reach the Web API stand-in through the worker's path."""

import threading
import time
from collections.abc import Iterator
from io import StringIO

import pytest
from django.core.management import call_command

from alfred.interactive import button_id
from alfred.models import Direction, Message, Status
from channels_slack.socket import SocketModeRunner, SocketModeStopped, host_allowed, socket_mode_hosts
from tests.channels_slack.conftest import command, event, fixture, send_event, unique_ts
from tests.core.entry_points import configured_env, start
from tests.standins.slack_api import Reply, SlackAPIStandIn, slack_error
from tests.standins.slack_socket import SlackSocketStandIn

pytestmark = [pytest.mark.biz, pytest.mark.django_db(transaction=True)]

APP_TOKEN = "xapp-1-A0ALFRED01-test-app-token-never-logged"


def fast_backoff(attempt: int) -> float:
    return 0.05


@pytest.fixture
def socket_server(slack: SlackAPIStandIn) -> Iterator[SlackSocketStandIn]:
    with SlackSocketStandIn() as server:
        slack.socket_mode(server, APP_TOKEN)
        yield server


@pytest.fixture
def socket_settings(slack_settings, socket_server):
    slack_settings.SLACK_APP_TOKEN = APP_TOKEN
    return slack_settings


class Running:
    def __init__(self) -> None:
        self.runner = SocketModeRunner(ping_interval=1.0, backoff=fast_backoff)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="slack-socket-runner", daemon=True)

    def _run(self) -> None:
        try:
            self.runner.run()
        except BaseException as exc:  # the test looks at it
            self.error = exc

    def stop(self) -> None:
        self.runner.shutdown()
        self.thread.join(timeout=10)


@pytest.fixture
def running(socket_settings, socket_server) -> Iterator[Running]:
    running = Running()
    running.thread.start()
    socket_server.wait_connected()
    yield running
    running.stop()
    assert not running.thread.is_alive()


def inbound() -> list[Message]:
    return list(Message.objects.filter(direction=Direction.INBOUND).order_by("id"))


def settle(seconds: float = 0.5) -> None:
    """Give a second answer, were one on its way, the time to arrive."""
    time.sleep(seconds)


# --- the socket carries what the HTTP endpoint carries -------------------------------------------------------
def test_slash_ping_is_answered_pong_in_the_acknowledgement(running, socket_server, slack, owner):
    envelope = socket_server.send_slash_command(command("ping", slack.response_url()))

    ack = socket_server.wait_for_ack(envelope)
    assert ack.payload == {"text": "pong"}
    assert not Message.objects.exists()


def test_a_mention_about_acme_is_answered_once_in_its_thread_with_the_crm(running, socket_server, slack):
    call_command("seed_demo", stdout=StringIO())
    ts = unique_ts()
    envelope = socket_server.send_events_api(event("app_mention", ts=ts, text="<@U0LAN0Z89> how is the Acme deal?"))

    socket_server.wait_for_ack(envelope)
    [post] = slack.wait_for("chat.postMessage", 1)
    assert post["channel"] == "C0SALES001" and post["thread_ts"] == ts
    assert post["text"].startswith("Acme Corp — Acme platform licence: negotiation, 12,000 EUR")
    settle()
    assert len(slack.calls("chat.postMessage")) == 1
    [row] = inbound()
    assert (row.status, row.sender.name) == (Status.HANDLED, "Owner")


def test_a_dm_and_a_button_click_work_over_the_socket(running, socket_server, slack, owner):
    ts = unique_ts()
    socket_server.wait_for_ack(socket_server.send_events_api(event("message_im", ts=ts)))
    payload = fixture("interactivity", "block_actions")
    payload["actions"][0]["value"] = button_id("ping", {})
    socket_server.wait_for_ack(socket_server.send_interactive(payload))

    posts = slack.wait_for("chat.postMessage", 2)
    assert {(p["channel"], p["text"], p["thread_ts"]) for p in posts} == {
        ("D0OWNER0001", "pong", ts),
        ("D0OWNER0001", "pong", "1767262300.001000"),
    }
    assert [row.kind for row in inbound()] == ["text", "interactive"]


# --- never twice ---------------------------------------------------------------------------------------------
def test_an_event_redelivered_after_a_refresh_and_reconnection_is_answered_once(running, socket_server, slack, owner):
    body = event("message_im")
    socket_server.wait_for_ack(socket_server.send_events_api(body))
    slack.wait_for("chat.postMessage", 1)

    socket_server.disconnect("refresh_requested")
    socket_server.wait_connected(2)
    again = socket_server.send_events_api(body, retry_attempt=1)

    socket_server.wait_for_ack(again)
    settle()
    assert len(slack.calls("apps.connections.open")) == 2
    assert len(slack.calls("chat.postMessage")) == 1
    assert len(inbound()) == 1


def test_the_same_message_through_http_and_the_socket_is_answered_once(running, socket_server, slack, owner, client):
    ts = unique_ts()
    over_http = send_event(client, event("message_im", ts=ts))
    socket_server.wait_for_ack(socket_server.send_events_api(event("message_im", ts=ts)))

    assert over_http.status_code == 200
    settle()
    assert [p["text"] for p in slack.calls("chat.postMessage")] == ["pong"]
    assert len(inbound()) == 1


# --- never late: the envelope is acknowledged before the work is done ----------------------------------------
def test_an_envelope_is_acknowledged_within_a_second_while_the_worker_is_slow(
    socket_settings, socket_server, slack, owner, celery_worker_thread
):
    # Each answer takes Slack 2 s to accept: the solo worker is busy for 2 s per message.
    socket_settings.SLACK_API_TIMEOUT = 5.0
    slack.script("chat.postMessage", Reply(delay=2.0), Reply(delay=2.0))
    running = Running()
    running.thread.start()
    try:
        socket_server.wait_connected()
        first = socket_server.send_events_api(event("message_im"))
        socket_server.wait_for_ack(first)
        time.sleep(0.3)  # the worker has taken the first message and waits on Slack
        second = socket_server.send_events_api(event("message_im"))

        ack = socket_server.wait_for_ack(second)
        assert ack.at - socket_server.sent_at[second] < 1.0
        assert len(slack.calls("chat.postMessage")) == 0  # nothing answered yet when both were acknowledged
        assert len(slack.wait_for("chat.postMessage", 2, timeout=20)) == 2
        assert Message.objects.filter(direction=Direction.OUTBOUND, status=Status.SENT).count() == 2
    finally:
        running.stop()


# --- reconnecting and stopping --------------------------------------------------------------------------------
def test_failed_connection_opens_and_a_dropped_connection_are_retried(socket_settings, socket_server, slack, owner):
    slack.script("apps.connections.open", slack_error("internal_error"), Reply(status=503, body={"ok": False}))
    running = Running()
    running.thread.start()
    try:
        socket_server.wait_connected(1)
        assert len(slack.calls("apps.connections.open", answered=None)) == 3

        socket_server.drop()
        socket_server.wait_connected(2, timeout=15)
        envelope = socket_server.send_events_api(event("message_im"))
        socket_server.wait_for_ack(envelope)
        assert [p["text"] for p in slack.wait_for("chat.postMessage", 1)] == ["pong"]
    finally:
        running.stop()
    assert running.error is None


def test_a_websocket_host_that_is_not_slacks_stops_the_runner(socket_settings, socket_server, slack):
    slack.script("apps.connections.open", Reply(body={"ok": True, "url": "wss://collector.example/link/?ticket=1"}))
    running = Running()
    running.thread.start()
    running.thread.join(timeout=10)

    assert isinstance(running.error, SocketModeStopped)
    assert "collector.example" in str(running.error)
    assert socket_server.connections_opened == 0


def test_the_hosts_allowed_are_the_slack_api_hosts_domain_or_the_stand_in(settings):
    settings.SLACK_API_BASE = "https://slack.com/api/"
    assert socket_mode_hosts() == frozenset({"slack.com"})
    assert host_allowed("wss://wss-primary.slack.com/link/?ticket=1&app_id=A1")
    assert not host_allowed("ws://wss-primary.slack.com/link/")  # Slack's own sockets are TLS
    assert not host_allowed("wss://slack.com.collector.example/link/")
    assert not host_allowed("wss://user@evil.example@slack.com/link/")
    settings.SLACK_API_BASE = "http://127.0.0.1:8765/api/"
    assert host_allowed("ws://127.0.0.1:9000/link/?ticket=1")
    assert not host_allowed("ws://10.0.0.1:9000/link/")


def test_an_app_token_slack_refuses_stops_the_command_with_exit_status_1(socket_server, slack, tmp_path):
    env = configured_env(SLACK_APP_TOKEN="xapp-1-wrong-token-value", SLACK_API_BASE=slack.api_base)

    result = start("command", env, tmp=tmp_path, command=("slack_socket",))

    assert result.returncode == 1
    assert "invalid_auth" in result.stderr and "SLACK_APP_TOKEN" in result.stderr
    assert "xapp-1-wrong-token-value" not in result.stdout + result.stderr
    assert socket_server.connections_opened == 0


def test_without_an_app_token_the_command_started_by_start_sh_exits_0_at_once(tmp_path):
    result = start(
        "command", configured_env(SLACK_APP_TOKEN=None), tmp=tmp_path, command=("slack_socket", "--if-configured")
    )

    assert result.returncode == 0, result.stderr
    assert "SLACK_APP_TOKEN is not set" in result.stderr
