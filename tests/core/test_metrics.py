"""``/metrics``: who may read it, what a real message leaves in it, and that the processes of one machine add
up (prometheus_client's multiprocess mode, as fly/start.sh runs it)."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from alfred.channels import SendError, channel_descriptions
from alfred.metrics import set_bridge_age
from alfred.models import Credential, Member, MemberAddress
from alfred.outbox import message_member
from alfred.signals import egress_refused
from tests.core.test_llm import chat_json
from tests.fake_channel.channel import ScriptedSender
from tests.standins.openai_api import Calls, Reply, call

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "test-metrics-token"
INSTANCE = django_settings.INSTANCE

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client: Client) -> Samples:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset({"instance": INSTANCE, **labels}.items())), 0.0)


@pytest.fixture
def metrics_on(settings):
    settings.ALFRED_METRICS_TOKEN = TOKEN
    settings.PROMETHEUS_MULTIPROC_DIR = ""
    return settings


@pytest.mark.django_db
def test_metrics_are_off_without_a_token_and_refused_without_the_right_one(client: Client, settings):
    settings.ALFRED_METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404

    settings.ALFRED_METRICS_TOKEN = TOKEN
    for header in ({}, {"HTTP_AUTHORIZATION": "Bearer wrong"}, {"HTTP_AUTHORIZATION": f"Basic {TOKEN}"}):
        response = client.get("/metrics", **header)
        assert response.status_code == 401, header
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert b"alfred_" not in response.content
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_message_answered_by_the_llm_is_counted_end_to_end(client, metrics_on, member, openai_api, llm_skills):
    before = scrape(client)
    llm_skills.SHOPPING.extend(["milk"])
    openai_api.script(Calls(call("list_remove", {"items": ["milk"]})), Reply("Done: milk is off the list."))

    assert chat_json("I finished the milk, sort the list out")["path"] == "llm"

    after = scrape(client)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("alfred_messages_total", channel="console", direction="in", status="received") == 1
    assert grew("alfred_messages_total", channel="console", direction="in", status="handled") == 1
    assert grew("alfred_messages_total", channel="console", direction="out", status="sent") == 1
    assert grew("alfred_reply_latency_seconds_count", channel="console", path="llm") == 1
    assert grew("alfred_reply_latency_seconds_count", channel="console", path="rules") == 0
    assert grew("alfred_tool_calls_total", tool="list_remove", outcome="ok") == 1
    model = django_settings.OPENAI_MODEL
    assert grew("alfred_llm_completions_total", model=model, kind="chat", outcome="ok") == 2
    assert grew("alfred_llm_tokens_total", model=model, kind="prompt") > 0
    assert grew("alfred_llm_tokens_total", model=model, kind="completion") > 0
    assert grew("alfred_llm_cost_total", model=model) > 0
    # Each request, by its route; the scrape before this one counted itself.
    assert grew("alfred_http_requests_total", method="GET", route="/metrics", status="200") == 1


@pytest.mark.django_db
def test_every_alfred_series_carries_this_instance(client, metrics_on):
    egress_refused.send(sender=None, host="evil.example")
    set_bridge_age(42.0)

    samples = scrape(client)

    ours = [(name, dict(labels)) for name, labels in samples if name.startswith("alfred_")]
    assert len({name for name, _ in ours}) >= 10
    assert [name for name, labels in ours if labels.get("instance") != INSTANCE] == []
    assert value(samples, "alfred_egress_refused_total", host="evil.example") >= 1
    assert value(samples, "alfred_calendar_bridge_age_seconds") == 42.0


@pytest.fixture
def with_test_channel(settings):
    settings.ALFRED_CHANNEL_APPS = [*settings.ALFRED_CHANNEL_APPS, "tests.fake_channel"]
    channel_descriptions.cache_clear()
    ScriptedSender.calls, ScriptedSender.script = 0, []
    yield
    ScriptedSender.script = []
    channel_descriptions.cache_clear()


@pytest.mark.django_db(transaction=True)
def test_outbound_failures_are_counted_by_code_and_a_rejected_credential_separately(
    client, metrics_on, with_test_channel
):
    ana = Member.objects.create(name="Ana")
    MemberAddress.objects.create(member=ana, channel="test", address="ana-1")
    before = scrape(client)
    ScriptedSender.script = [
        SendError("busy", permanent=False, code="busy", retry_after=0),
        SendError("token expired", permanent=True, code="expired"),
    ]

    message_member(member=ana, text="hello")  # busy: queued again
    from alfred.models import Message
    from alfred.outbox import outbound_send

    row = Message.objects.get(channel="test", direction="out")
    outbound_send(row.pk)  # expired: failed for good

    after = scrape(client)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("alfred_outbound_failures_total", channel="test", code="busy", final="false") == 1
    assert grew("alfred_outbound_failures_total", channel="test", code="expired", final="true") == 1
    assert grew("alfred_credential_rejected_total", channel="test", code="expired") == 1
    assert grew("alfred_credential_rejected_total", channel="test", code="busy") == 0
    assert grew("alfred_messages_total", channel="test", direction="out", status="failed") == 1


@pytest.mark.django_db
def test_queue_depth_and_credential_expiry_are_read_at_scrape_time(client, metrics_on, member):
    from alfred.members import conversation_for
    from alfred.outbox import outbound_record

    expires = timezone.now().replace(microsecond=0) + timedelta(days=3)
    Credential.objects.create(provider="testprovider", token_encrypted="x", expires_at=expires)
    before = value(scrape(client), "alfred_queue_depth", queue="outbox")
    conversation = conversation_for(channel="console", external_id="depth-test", member=member)
    outbound_record(conversation=conversation, text="waiting")  # not committed: no task runs, it stays queued

    samples = scrape(client)

    assert value(samples, "alfred_queue_depth", queue="outbox") == before + 1
    assert value(samples, "alfred_credential_expiry_timestamp_seconds", provider="testprovider") == expires.timestamp()


COUNT_IN_A_PROCESS = """
import django, sys
django.setup()
from alfred.metrics import message_counted
for _ in range(int(sys.argv[1])):
    message_counted(channel="whatsapp", direction="in", status="received")
"""


@pytest.mark.django_db
def test_counters_of_separate_processes_add_up_in_one_scrape(client, metrics_on, tmp_path):
    """Two processes (the web worker and the Celery worker on a machine) count into the multiprocess
    directory and exit; the scrape, in a third, reports their sum."""
    environment = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": f"settings.{INSTANCE}",
        "INSTANCE": INSTANCE,
    }
    for count in (3, 4):
        subprocess.run(
            [sys.executable, "-c", COUNT_IN_A_PROCESS, str(count)], cwd=ROOT, env=environment, check=True, timeout=60
        )
    assert len(list(tmp_path.glob("counter_*.db"))) == 2
    metrics_on.PROMETHEUS_MULTIPROC_DIR = str(tmp_path)

    samples = scrape(client)

    assert value(samples, "alfred_messages_total", channel="whatsapp", direction="in", status="received") == 7
