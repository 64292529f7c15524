"""A WhatsApp message through the real webhook, handling and sender (Graph API stand-in) shows in /metrics."""

import pytest

from tests.channels_wa.conftest import URL, deliver, sample, values
from tests.core.test_metrics import TOKEN, scrape, value

pytestmark = [pytest.mark.home, pytest.mark.django_db(transaction=True)]


def test_a_whatsapp_round_trip_is_counted_by_channel_direction_status_path_and_route(client, wa_settings, graph, ana):
    wa_settings.ALFRED_METRICS_TOKEN = TOKEN
    wa_settings.PROMETHEUS_MULTIPROC_DIR = ""
    before = scrape(client)
    body = sample("message", "text")
    message = values(body)[0]["messages"][0]
    message["id"], message["text"]["body"] = "wamid.metrics-round-trip", "ping"

    assert deliver(client, body).status_code == 200
    assert len(graph.sends()) == 1

    after = scrape(client)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("alfred_messages_total", channel="whatsapp", direction="in", status="received") == 1
    assert grew("alfred_messages_total", channel="whatsapp", direction="in", status="handled") == 1
    assert grew("alfred_messages_total", channel="whatsapp", direction="out", status="sent") == 1
    assert grew("alfred_reply_latency_seconds_count", channel="whatsapp", path="rules") == 1
    assert grew("alfred_reply_latency_seconds_count", channel="whatsapp", path="fallback") == 0
    assert grew("alfred_http_requests_total", method="POST", route=URL, status="200") == 1
    assert grew("alfred_http_request_duration_seconds_count", route=URL) == 1
