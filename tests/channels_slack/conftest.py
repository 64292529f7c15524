"""Slack channel fixtures: the Web API stand-in, settings pointing at it, and requests signed the way Slack
signs them (``X-Slack-Signature: v0=`` + HMAC-SHA256 of ``v0:{timestamp}:{body}``, keyed with the signing
secret). The payloads are ours, in ``tests/fixtures/slack/`` (written from Slack's documented shapes)."""

import copy
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client

from alfred.models import Member
from tests.helpers import member_on
from tests.standins.slack_api import SlackAPIStandIn

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "slack"
URL = "/slack/events/"
SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-bot-token-never-logged"
TEAM_ID = "T0001"
OWNER_ID = "U2147483697"
STRANGER_ID = "U0STRANGER1"


def fixture(file: str, case: str) -> dict[str, Any]:
    with open(FIXTURES / f"{file}.json") as handle:
        return copy.deepcopy(json.load(handle)[case])


def signature(body: bytes, timestamp: int, secret: str = SIGNING_SECRET) -> str:
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def post(
    client: Client,
    body: bytes,
    content_type: str,
    *,
    secret: str | None = SIGNING_SECRET,
    age: float = 0,
    **headers: str,
) -> Any:
    """POST as Slack does; ``secret=None`` sends no signature, ``age`` backdates the timestamp (seconds)."""
    timestamp = int(time.time() - age)
    if secret is not None:
        headers.setdefault("HTTP_X_SLACK_SIGNATURE", signature(body, timestamp, secret))
        headers.setdefault("HTTP_X_SLACK_REQUEST_TIMESTAMP", str(timestamp))
    return client.post(URL, data=body, content_type=content_type, **headers)


def send_event(client: Client, body: dict[str, Any], **options: Any) -> Any:
    return post(client, json.dumps(body).encode(), "application/json", **options)


def send_command(client: Client, fields: dict[str, Any], **options: Any) -> Any:
    return post(client, urlencode(fields).encode(), "application/x-www-form-urlencoded", **options)


def send_interaction(client: Client, payload: dict[str, Any], **options: Any) -> Any:
    return send_command(client, {"payload": json.dumps(payload)}, **options)


def unique_ts() -> str:
    """A message ts of its own, so no two tests meet on the dedupe key."""
    return f"{int(time.time())}.{uuid.uuid4().int % 1_000_000:06d}"


def event(case: str, **changes: Any) -> dict[str, Any]:
    """An Events API fixture with its own event id and message ts (both overridable)."""
    body = fixture("events", case)
    body["event_id"] = changes.pop("event_id", f"Ev{uuid.uuid4().hex[:10].upper()}")
    inner = body.get("event", {})
    if "ts" in inner:
        inner["ts"] = inner["event_ts"] = changes.pop("ts", unique_ts())
    inner.update(changes)
    return body


def command(text: str, response_url: str, **changes: Any) -> dict[str, Any]:
    fields = fixture("commands", "alfred")
    trigger_id = f"{uuid.uuid4().int % 10**10}.2222222222.{uuid.uuid4().hex}"
    fields.update(text=text, response_url=response_url, trigger_id=trigger_id)
    fields.update(changes)
    return fields


@pytest.fixture(autouse=True)
def _forget_members() -> Iterator[None]:
    """Tests empty tables without Member signals (flush); the endpoint's member cache must not outlive them."""
    from alfred.members import members

    members.clear()
    yield
    members.clear()


@pytest.fixture
def slack() -> Iterator[SlackAPIStandIn]:
    with SlackAPIStandIn(token=BOT_TOKEN) as standin:
        yield standin


@pytest.fixture
def slack_settings(settings: Any, slack: SlackAPIStandIn) -> Any:
    settings.SLACK_SIGNING_SECRET = SIGNING_SECRET
    settings.SLACK_BOT_TOKEN = BOT_TOKEN
    settings.SLACK_TEAM_ID = TEAM_ID
    settings.SLACK_API_BASE = slack.api_base
    settings.SLACK_API_TIMEOUT = 1.0
    settings.SLACK_ACK_REACTION = True
    return settings


@pytest.fixture
def owner(transactional_db: None) -> Member:
    """The member our fixtures' messages come from."""
    return member_on("slack", OWNER_ID, name="Owner", language="en", is_admin=True)
