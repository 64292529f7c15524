"""WhatsApp channel fixtures: the Graph API stand-in, settings pointing at it, signed deliveries of webhook
payloads (ids varied per test, files untouched).

The payloads are ours, in ``tests/fixtures/whatsapp/`` (written from Meta's documented webhook shapes), so a
plain clone runs the whole suite. Real payloads collected elsewhere (``../shared/samples/whatsapp`` or
``$ALFRED_SAMPLES_DIR/whatsapp``, same layout) are run as extra cases when present, never required."""

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

# Each file maps a case name to one complete webhook POST body.
OWN = "own"
SHARED = "shared"
SAMPLE_DIRS = {
    OWN: Path(__file__).resolve().parents[1] / "fixtures" / "whatsapp",
    SHARED: Path(os.environ.get("ALFRED_SAMPLES_DIR", Path(__file__).resolve().parents[3] / "shared" / "samples"))
    / "whatsapp",
}
# Our fixtures' business number and the member most of them come from (Ana; UK numbers reserved for fiction).
SAMPLE_PHONE_ID = "371846205519377"
SAMPLE_DISPLAY_NUMBER = "447700900001"
SAMPLE_SENDER = "447700900123"
SAMPLE_USER_ID = "GB.40817362915530478812"  # Ana's business-scoped user id (BSUID)
# The other member in our fixtures (the edited message), written the way a person types a number.
OTHER_MEMBER_NUMBER = "+44 7700 900456"
APP_SECRET = "test-app-secret"
VERIFY_TOKEN = "test-verify-token"
META_TOKEN = "EAAtest-meta-token-never-logged"
URL = "/webhooks/whatsapp/"


def sample(file: str, case: str, source: str = OWN) -> dict[str, Any]:
    with open(SAMPLE_DIRS[source] / f"{file}.json") as handle:
        return copy.deepcopy(json.load(handle)[case])


def sample_cases(source: str) -> list[tuple[str, str]]:
    cases = []
    for path in sorted(SAMPLE_DIRS[source].glob("*.json")):
        with open(path) as handle:
            cases += [(path.stem, case) for case in json.load(handle)]
    # Without our fixtures the parametrised tests would silently become zero tests; fail loudly instead.
    if source == OWN and not cases:
        raise FileNotFoundError(f"No WhatsApp fixtures in {SAMPLE_DIRS[OWN]}")
    return cases


def all_sample_cases() -> list[tuple[str, str, str]]:
    """``(source, file, case)`` for our fixtures, then for the shared samples when this machine has them."""
    return [(source, *case) for source in (OWN, SHARED) for case in sample_cases(source)]


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
    """The member our fixtures' messages come from."""
    return member_on("whatsapp", f"+{SAMPLE_SENDER}", name="Ana", language="en", is_admin=True)
