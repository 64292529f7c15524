"""The egress guard (``alfred/egress.py``, README "Isolation → 4. Network"): the suite runs under it
(``tests/conftest.py`` installs it, as ``alfred.boot`` does in every deployed process).

The machine has no internet: every lookup of a public name fails in DNS anyway. So each refusal is proved to be
the guard's own, an ``EgressRefused`` (not the resolver's ``socket.gaierror``), counted and audited, and a name
the guard admits is shown to get as far as DNS. Run this file with ``ALFRED_EGRESS_GUARD=0`` and the refusal
tests fail: the lookups then end in ``gaierror`` (``test_without_the_guard_the_same_lookup_reaches_dns`` shows it
inside the suite).
"""

import imaplib
import socket
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator

import httpx
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from alfred import egress
from alfred.channels import channel_descriptions
from alfred.egress import EgressRefused
from alfred.models import AuditEvent
from alfred.signals import egress_refused
from tests.standins.slack_api import Reply, SlackAPIStandIn


def refusal_in(exc: BaseException | None) -> EgressRefused | None:
    """The guard's refusal inside whatever a library wrapped it in (causes, contexts, ``reason``)."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, EgressRefused):
            return exc
        seen.add(id(exc))
        reason = getattr(exc, "reason", None)
        if isinstance(reason, BaseException):
            exc = reason
        else:
            exc = exc.__cause__ or exc.__context__
    return None


@pytest.fixture
def refused() -> Iterator[list[str]]:
    """The hosts the guard reports refused (the signal the metric counts), with a fresh report clock."""
    hosts: list[str] = []

    def receiver(sender: object, *, host: str, **kwargs: object) -> None:
        hosts.append(host)

    egress_refused.connect(receiver, dispatch_uid="tests.egress")
    before = dict(egress._state.reported)
    egress._state.reported.clear()
    try:
        yield hosts
    finally:
        egress_refused.disconnect(dispatch_uid="tests.egress")
        egress._state.reported.clear()
        egress._state.reported.update(before)


def assert_dns_reached(host: str) -> None:
    """The guard let the lookup through: it fails in the resolver (no internet here), not in the guard."""
    with pytest.raises(socket.gaierror) as failure:
        socket.getaddrinfo(host, 443)
    assert not isinstance(failure.value, EgressRefused)


# --- home cannot reach Slack, through any library ---------------------------------------------------------


@pytest.mark.home
@pytest.mark.django_db(transaction=True)
def test_home_cannot_resolve_slack_com_and_the_refusal_is_the_guards_counted_and_audited(refused):
    with pytest.raises(EgressRefused) as failure:
        socket.getaddrinfo("slack.com", 443)

    assert not isinstance(failure.value, socket.gaierror)  # not DNS failing: the lookup never left
    assert isinstance(failure.value, OSError)  # every library treats it as a network failure
    assert "slack.com:443" in str(failure.value) and "ALFRED_EGRESS_ALLOWLIST" in str(failure.value)
    assert refused == ["slack.com"]
    [event] = AuditEvent.objects.filter(action="egress.blocked")
    assert (event.instance, event.target, event.detail) == ("home", "slack.com:443", {"host": "slack.com"})


@pytest.mark.home
@pytest.mark.django_db(transaction=True)
def test_a_refused_host_is_audited_once_a_minute_and_counted_every_time(refused):
    for _ in range(5):
        with pytest.raises(EgressRefused):
            socket.getaddrinfo("slack.com", 443)
    with pytest.raises(EgressRefused):
        socket.getaddrinfo("files.slack.com", 443)

    assert refused == ["slack.com"] * 5 + ["files.slack.com"]
    targets = sorted(AuditEvent.objects.filter(action="egress.blocked").values_list("target", flat=True))
    assert targets == ["files.slack.com:443", "slack.com:443"]


def test_past_the_cap_made_up_names_share_one_label_and_one_report(refused, monkeypatch):
    monkeypatch.setattr(egress, "MAX_REPORTED_HOSTS", 2)
    for name in ("a.collector.example", "b.collector.example", "c.collector.example", "d.collector.example"):
        with pytest.raises(EgressRefused) as failure:
            socket.getaddrinfo(name, 53)
        assert name in str(failure.value)  # the error still names it

    assert refused == ["a.collector.example", "b.collector.example", "(other)", "(other)"]


@pytest.mark.home
def test_home_cannot_reach_slack_through_httpx(refused):
    with pytest.raises(httpx.ConnectError) as failure:
        httpx.post("https://slack.com/api/chat.postMessage", json={"text": "hi"}, timeout=5)

    assert refusal_in(failure.value) is not None
    assert refused == ["slack.com"]


@pytest.mark.home
def test_home_cannot_reach_slack_through_urllib(refused):
    with pytest.raises(urllib.error.URLError) as failure:
        urllib.request.urlopen("https://slack.com/api/api.test", timeout=5)

    assert refusal_in(failure.value) is not None
    assert refused == ["slack.com"]


@pytest.mark.home
def test_home_cannot_reach_slack_through_slack_sdk(refused):
    from slack_sdk import WebClient

    client = WebClient(token="xoxb-not-a-token", base_url="https://slack.com/api/", timeout=5, retry_handlers=[])
    with pytest.raises(urllib.error.URLError) as failure:
        client.api_test()

    assert refusal_in(failure.value) is not None
    assert set(refused) == {"slack.com"}


@pytest.mark.home
def test_home_cannot_reach_slack_through_boto3(refused):
    import boto3
    from botocore.config import Config
    from botocore.exceptions import EndpointConnectionError

    s3 = boto3.client(
        "s3",
        endpoint_url="https://slack.com",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}, connect_timeout=5),
    )
    with pytest.raises(EndpointConnectionError) as failure:
        s3.list_objects_v2(Bucket="exports")

    assert refusal_in(failure.value) is not None
    assert set(refused) == {"slack.com"}


@pytest.mark.home
def test_home_cannot_reach_slack_through_imaplib(refused):
    with pytest.raises(EgressRefused):
        imaplib.IMAP4_SSL("slack.com", 993, timeout=5)

    assert refused == ["slack.com"]


# --- biz: Slack yes, Meta only with its own WhatsApp number ---------------------------------------------


@pytest.mark.biz
def test_biz_cannot_reach_the_graph_api(refused):
    with pytest.raises(EgressRefused):
        socket.getaddrinfo("graph.facebook.com", 443)
    with pytest.raises(httpx.ConnectError) as failure:
        httpx.get("https://graph.facebook.com/v23.0/me", timeout=5)

    assert refusal_in(failure.value) is not None
    assert refused == ["graph.facebook.com", "graph.facebook.com"]
    assert egress.decision("slack.com")[0]
    assert egress.decision("hooks.slack.com")[0]


@pytest.mark.biz
def test_biz_with_its_whatsapp_number_configured_reaches_the_graph_api():
    channel_descriptions.cache_clear()
    try:
        with override_settings(
            ALFRED_CHANNEL_APPS=[*settings.ALFRED_CHANNEL_APPS, "channels_wa"],
            PHONE_ID="1234567890",
            META_TOKEN="meta-token-for-biz",
            META_APP_SECRET="meta-app-secret-for-biz",
        ):
            channel_descriptions.cache_clear()
            assert egress.decision("graph.facebook.com") == (True, "an admitted name")
            assert_dns_reached("graph.facebook.com")
    finally:
        channel_descriptions.cache_clear()
    assert not egress.decision("graph.facebook.com")[0]


@pytest.mark.home
def test_home_reaches_the_graph_api_and_its_media_host_and_not_slacks():
    assert egress.decision("graph.facebook.com")[0]
    assert egress.decision("lookaside.fbsbx.com")[0]
    assert not egress.decision("hooks.slack.com")[0]
    assert_dns_reached("graph.facebook.com")


@pytest.mark.home
def test_home_reaches_the_calendar_bridges_host_only_when_it_is_configured():
    assert not egress.decision("bridge.example.net")[0]
    with override_settings(ALFRED_BRIDGE_URL="https://bridge.example.net/alfred/calendar.json"):
        assert egress.decision("bridge.example.net") == (True, "an admitted name")
    with override_settings(ALFRED_BRIDGE_BUCKET="alfred-bridge", ALFRED_BRIDGE_S3_REGION="eu-west-3"):
        assert egress.decision("alfred-bridge.s3.eu-west-3.amazonaws.com")[0]
    assert not egress.decision("alfred-bridge.s3.eu-west-3.amazonaws.com")[0]


@pytest.mark.biz
def test_biz_reaches_its_mailbox_and_calendar_feeds_only_when_they_are_configured():
    assert not egress.decision("imap.example.net")[0]
    with override_settings(IMAP_HOST="imap.example.net", ALFRED_CALENDAR_ICS_URLS=["https://cal.example.net/w.ics"]):
        assert egress.decision("imap.example.net")[0]
        assert egress.decision("cal.example.net")[0]
    assert not egress.decision("cal.example.net")[0]


# --- the admitted set -------------------------------------------------------------------------------------


def test_the_allowlist_admits_names_and_whole_domains(refused):
    with pytest.raises(EgressRefused):
        socket.getaddrinfo("status.example.org", 443)
    with override_settings(ALFRED_EGRESS_ALLOWLIST=["status.example.org", "*.monitor.example.net"]):
        assert_dns_reached("status.example.org")
        assert_dns_reached("eu.monitor.example.net")
        with pytest.raises(EgressRefused):
            socket.getaddrinfo("monitor.example.net.evil.example", 443)
    with pytest.raises(EgressRefused):
        socket.getaddrinfo("status.example.org", 443)

    assert refused == ["status.example.org", "monitor.example.net.evil.example", "status.example.org"]


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_the_configured_hosts_are_admitted():
    with override_settings(
        OPENAI_API_KEY="sk-test",
        OPENAI_BASE_URL="https://llm.example.com/v1",
        REDIS_URL="redis://cache.internal:6379/0",
        DATABASES={
            **settings.DATABASES,
            "other": {**settings.DATABASES["default"], "HOST": "db1.internal,db2.lan"},
        },
        ALFRED_AUDIT_BUCKET="audit",
        ALFRED_AUDIT_S3_ENDPOINT_URL="https://fly.storage.tigris.dev",
    ):
        hosts = egress.admitted_hosts()
    assert {"llm.example.com", "cache.internal", "db1.internal", "db2.lan", "fly.storage.tigris.dev"} <= hosts
    assert "127.0.0.1" in hosts  # the suite's DATABASE_URL and REDIS_URL
    with override_settings(OPENAI_API_KEY="sk-test", OPENAI_BASE_URL=""):
        assert "api.openai.com" in egress.admitted_hosts()


@pytest.mark.biz
def test_biz_admits_its_mailbox_and_calendar_hosts():
    with override_settings(IMAP_HOST="imap.fastmail.com", ALFRED_CALENDAR_ICS_URLS=["https://calendar.example/a.ics"]):
        assert {"imap.fastmail.com", "calendar.example"} <= egress.admitted_hosts()
    assert "imap.fastmail.com" not in egress.admitted_hosts()


def test_addresses_are_admitted_only_when_loopback_configured_or_resolved_from_an_admitted_name(refused):
    # Loopback: the stand-ins, Postgres and Redis of the suite.
    with socket.create_connection(("127.0.0.1", 6379), timeout=2):
        pass
    # Any other address: refused before a packet leaves (the metadata service, a literal in a URL).
    for address in ("169.254.169.254", "203.0.113.7", "::ffff:203.0.113.7", "2001:db8::1"):
        with pytest.raises(EgressRefused):
            socket.getaddrinfo(address, 80)
    with pytest.raises(EgressRefused):
        socket.create_connection(("203.0.113.7", 443), timeout=1)
    with pytest.raises(httpx.ConnectError) as failure:
        httpx.get("http://169.254.169.254/latest/meta-data/", timeout=2)
    assert refusal_in(failure.value) is not None
    # Configured literally: admitted (it then fails on the network, not in the guard).
    with override_settings(ALFRED_EGRESS_ALLOWLIST=["203.0.113.7"]):
        assert egress.decision("203.0.113.7") == (True, "an admitted address")
        try:
            socket.create_connection(("203.0.113.7", 443), timeout=0.5).close()
        except OSError as unreachable:
            assert not isinstance(unreachable, EgressRefused)


def test_an_address_resolved_from_an_admitted_name_is_admitted_and_no_other(monkeypatch):
    """The resolver stands in for DNS (no internet here): the guard's own wrapper records what it answers."""
    answers = {"bucket.example": "198.51.100.20", "tracker.example": "198.51.100.66"}

    def resolver(host: str, port: int, *args: object, **kwargs: object) -> list[tuple]:
        sys.audit("socket.getaddrinfo", host, port, 0, 0, 0)  # what CPython's resolver does first
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))]

    monkeypatch.setattr(egress, "_original_getaddrinfo", resolver)
    with override_settings(ALFRED_EGRESS_ALLOWLIST=["bucket.example"]):
        assert not egress.decision("198.51.100.20")[0]
        socket.getaddrinfo("bucket.example", 443)
        assert egress.decision("198.51.100.20") == (True, "an address of bucket.example")
        with pytest.raises(EgressRefused):
            socket.getaddrinfo("tracker.example", 443)
        assert not egress.decision("198.51.100.66")[0]

        def by_name(host: str) -> str:
            sys.audit("socket.gethostbyname", host)
            return answers[host]

        monkeypatch.setattr(egress, "_original_gethostbyname", by_name)
        answers["bucket.example"] = "198.51.100.21"
        assert socket.gethostbyname("bucket.example") == "198.51.100.21"
        assert egress.decision("198.51.100.21")[0]
    # The name is no longer admitted: neither are its addresses.
    assert not egress.decision("198.51.100.20")[0]


def test_unix_sockets_and_passive_lookups_are_not_egress(tmp_path):
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    path = str(tmp_path / "s")
    server.bind(path)
    server.listen(1)
    with server, socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.connect(path)
    assert socket.getaddrinfo(None, 8000, type=socket.SOCK_STREAM)


def test_a_secret_in_a_refused_name_is_never_shown(refused):
    with override_settings(SLACK_BOT_TOKEN="xoxb-leaked-token-value"):
        with pytest.raises(EgressRefused) as failure:
            socket.getaddrinfo("xoxb-leaked-token-value.collector.example", 53)

    assert "leaked" not in str(failure.value)
    assert refused == ["(secret).collector.example"]


def test_without_the_guard_the_same_lookup_reaches_dns(refused):
    """What the refusal tests would see without the guard: the resolver's own failure, and no report."""
    with egress.disabled():
        assert_dns_reached("evil.example")
    with pytest.raises(EgressRefused):
        socket.getaddrinfo("evil.example", 443)
    assert refused == ["evil.example"]


def test_egress_check_says_admitted_or_refused():
    from io import StringIO

    out = StringIO()
    call_command("egress_check", "127.0.0.1", stdout=out)
    with pytest.raises(SystemExit) as status:
        call_command("egress_check", "evil.example", stdout=out)
    assert status.value.code == 1
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("127.0.0.1: admitted")
    assert lines[1].startswith("evil.example: refused")


# --- Slack Socket Mode: the WebSocket host apps.connections.open names --------------------------------------


@pytest.mark.biz
def test_socket_mode_admits_the_websocket_host_only_under_the_slack_api_domain(settings):
    from slack_sdk import WebClient

    from channels_slack.socket import SocketModeStopped, _client_class

    settings.SLACK_API_BASE = "https://slack.com/api/"
    with SlackAPIStandIn() as slack:
        web_client = WebClient(base_url=slack.api_base, retry_handlers=[])  # Slack's answers, from loopback
        client = _client_class()(app_token="xapp-1-test", web_client=web_client, auto_reconnect_enabled=False)
        try:
            assert not egress.decision("wss-primary.slack.com")[0]
            slack.script("apps.connections.open", Reply(body={"ok": True, "url": "wss://collector.example/link/"}))
            with pytest.raises(SocketModeStopped):
                client.issue_new_wss_url()
            assert not egress.decision("collector.example")[0]

            url = "wss://wss-primary.slack.com/link/?ticket=1&app_id=A1"
            slack.script("apps.connections.open", Reply(body={"ok": True, "url": url}))
            assert client.issue_new_wss_url() == url
            assert egress.decision("wss-primary.slack.com")[0]
        finally:
            client.close()
            egress._state.dynamic.discard("wss-primary.slack.com")
