"""WhatsApp channel fixtures: the Graph API stand-in, settings pointing at it, signed deliveries of the
real sample payloads (ids varied per test, files untouched)."""

import copy
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from alfred.models import Member
from tests.conftest import sign
from tests.helpers import member_on
from tests.standins.graph_api import GraphAPIStandIn
from tests.standins.openai_api import openai_api  # noqa: F401  (a fixture, registered by the import)

SAMPLES = Path(os.environ.get("ALFRED_SAMPLES_DIR", Path(__file__).resolve().parents[3] / "shared" / "samples"))
WHATSAPP_SAMPLES = SAMPLES / "whatsapp"
# The samples' business number and the sender most of them come from.
SAMPLE_PHONE_ID = "1122334455667"
SAMPLE_SENDER = "972987654321"
APP_SECRET = "test-app-secret"
VERIFY_TOKEN = "test-verify-token"
META_TOKEN = "EAAtest-meta-token-never-logged"
URL = "/webhooks/whatsapp/"


def sample(file: str, case: str) -> dict[str, Any]:
    with open(WHATSAPP_SAMPLES / f"{file}.json") as handle:
        return copy.deepcopy(json.load(handle)[case])


def all_sample_cases() -> list[tuple[str, str]]:
    cases = []
    for path in sorted(WHATSAPP_SAMPLES.glob("*.json")):
        with open(path) as handle:
            cases += [(path.stem, case) for case in json.load(handle)]
    # Without the samples the parametrised tests would be skipped silently; fail loudly instead.
    if not cases:
        raise FileNotFoundError(f"No WhatsApp samples in {WHATSAPP_SAMPLES} (set ALFRED_SAMPLES_DIR)")
    return cases


def values(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [change["value"] for entry in body.get("entry", []) for change in entry.get("changes", [])]


def vary_ids(body: dict[str, Any], tag: str | None = None) -> dict[str, Any]:
    """Give every message and status of a sample its own id, so tests never collide on the dedupe key."""
    tag = tag or uuid.uuid4().hex[:12]
    for value in values(body):
        for item in value.get("messages", []) + value.get("statuses", []):
            item["id"] = f"{item['id']}.{tag}"
    return body


def phone_id_of(body: dict[str, Any]) -> str:
    return values(body)[0]["metadata"]["phone_number_id"]


def message_ids(body: dict[str, Any]) -> list[str]:
    return [item["id"] for value in values(body) for item in value.get("messages", [])]


def deliver(client: Client, body: dict[str, Any] | bytes, *, secret: str = APP_SECRET, **headers: str) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers.setdefault("HTTP_X_HUB_SIGNATURE_256", sign(raw, secret))
    return client.post(URL, data=raw, content_type="application/json", **headers)


@pytest.fixture(autouse=True)
def _forget_members() -> Iterator[None]:
    """Tests empty tables without Member signals (flush); the webhook's member cache must not outlive them."""
    from alfred.members import members

    members.clear()
    yield
    members.clear()


@pytest.fixture
def graph() -> Iterator[GraphAPIStandIn]:
    with GraphAPIStandIn() as standin:
        yield standin


@pytest.fixture
def wa_settings(settings: Any, graph: GraphAPIStandIn) -> Any:
    settings.META_TOKEN = META_TOKEN
    settings.META_APP_SECRET = APP_SECRET
    settings.META_VERIFY_TOKEN = VERIFY_TOKEN
    settings.PHONE_ID = SAMPLE_PHONE_ID
    settings.WHATSAPP_API_BASE = graph.url
    settings.WHATSAPP_API_VERSION = "23.0"
    settings.WHATSAPP_API_TIMEOUT = 2.0
    settings.WHATSAPP_MARK_AS_READ = True
    settings.WHATSAPP_ACK_REACTION = True
    settings.WHATSAPP_REMINDER_TEMPLATE = "chore_reminder"
    settings.WHATSAPP_REMINDER_TEMPLATE_LANGUAGES = ["en", "es"]
    settings.WHATSAPP_REMINDER_TEMPLATE_PARAM_NAMES = []
    settings.WHATSAPP_REMINDER_TEMPLATE_QUICK_REPLIES = 1
    return settings


@pytest.fixture
def ana(transactional_db: None) -> Member:
    """The member the samples' messages come from."""
    return member_on("whatsapp", f"+{SAMPLE_SENDER}", name="Ana", language="en", is_admin=True)
