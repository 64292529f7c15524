"""rotate_tokens for META_TOKEN against the Graph API stand-in: debug_token tells the expiry,
fb_exchange_token renews the token, and the sender uses the renewed one."""

import logging
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from alfred.models import AuditEvent, Conversation, Credential, Direction, Member, Message, Status
from alfred.outbox import outbound_send
from alfred.vault import credential_tokens, vault_forget
from tests.channels_wa.conftest import META_TOKEN, SAMPLE_SENDER
from tests.standins.graph_api import GraphAPIStandIn, graph_error

pytestmark = [pytest.mark.home, pytest.mark.django_db(transaction=True)]

APP_ID = "1234567890"
APP_SECRET_FOR_TESTS = "test-app-secret"
DAY = 24 * 3600


@pytest.fixture
def meta(wa_settings: Any, graph: GraphAPIStandIn) -> Iterator[GraphAPIStandIn]:
    wa_settings.META_APP_ID = APP_ID
    wa_settings.ALFRED_VAULT_KEY = [Fernet.generate_key().decode()]
    wa_settings.ALFRED_TOKEN_MAX_AGE_DAYS = 60
    graph.app(APP_ID, wa_settings.META_APP_SECRET)
    vault_forget()
    yield graph
    vault_forget()


def rotate(*args: str) -> str:
    out = StringIO()
    call_command("rotate_tokens", *args, stdout=out)
    return out.getvalue()


def table_line(output: str, provider: str) -> str:
    return next(line for line in output.splitlines() if line.startswith(provider))


def test_a_fresh_token_is_stored_and_kept(meta: GraphAPIStandIn) -> None:
    meta.issue_token(META_TOKEN, expires_in=60 * DAY, age=10 * DAY)

    output = rotate()

    assert output.splitlines()[0].split() == ["provider", "age", "expires", "in", "action"]
    assert table_line(output, "meta").split() == ["meta", "10d", "0h", "49d", "23h", "kept"]
    assert not meta.exchanges
    assert credential_tokens(Credential.objects.get(provider="meta"))[0] == META_TOKEN


def test_a_token_older_than_the_policy_is_exchanged_and_the_sender_uses_the_new_one(
    meta: GraphAPIStandIn, ana: Member
) -> None:
    meta.issue_token(META_TOKEN, expires_in=None, age=61 * DAY)

    output = rotate()

    assert "rotated (older than 60 days)" in table_line(output, "meta")
    (exchange,) = meta.exchanges
    assert exchange.query["fb_exchange_token"] == [META_TOKEN] and exchange.query["client_id"] == [APP_ID]
    new_token, _ = credential_tokens(Credential.objects.get(provider="meta"))
    assert new_token.startswith("EAAstandin") and new_token != META_TOKEN

    conversation = Conversation.objects.create(
        channel="whatsapp", external_id=SAMPLE_SENDER, member=ana, last_inbound_at=timezone.now()
    )
    row = Message.objects.create(
        direction=Direction.OUTBOUND, channel="whatsapp", conversation=conversation, text="hi", status=Status.QUEUED
    )
    outbound_send(row.pk)
    send = next(request for request in meta.requests if request.is_send)
    assert send.headers["authorization"] == f"Bearer {new_token}"

    event = AuditEvent.objects.get(action="token.rotate")
    assert (event.target, event.detail["ok"], event.detail["reason"]) == ("meta", True, "older than 60 days")
    assert META_TOKEN not in str(event.detail) and new_token not in str(event.detail)


def test_a_token_near_its_expiry_is_exchanged(meta: GraphAPIStandIn) -> None:
    meta.issue_token(META_TOKEN, expires_in=60 * DAY, age=50 * DAY)

    output = rotate()

    assert "rotated (near expiry)" in table_line(output, "meta")
    row = Credential.objects.get(provider="meta")
    assert (row.expires_at - timezone.now()).days >= 59


def test_dry_run_prints_the_table_and_changes_nothing(meta: GraphAPIStandIn) -> None:
    meta.issue_token(META_TOKEN, expires_in=60 * DAY, age=55 * DAY)

    output = rotate("--dry-run")

    assert "would rotate (near expiry)" in table_line(output, "meta")
    assert "dry run: nothing was changed" in output
    assert not meta.exchanges
    assert not Credential.objects.exists() and not AuditEvent.objects.exists()


def test_a_refused_exchange_keeps_the_old_token_exits_1_and_prints_no_secret(
    meta: GraphAPIStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    meta.issue_token(META_TOKEN, expires_in=None, age=70 * DAY)
    meta.script(
        lambda recorded: "oauth/access_token" in recorded.path,
        graph_error(190, f"Error validating access token {META_TOKEN} with {APP_SECRET_FOR_TESTS}", status=400),
    )
    out = StringIO()

    with caplog.at_level(logging.INFO), pytest.raises(CommandError) as failed:
        call_command("rotate_tokens", stdout=out)

    assert failed.value.returncode == 1
    assert "Graph API error 190" in table_line(out.getvalue(), "meta")
    assert credential_tokens(Credential.objects.get(provider="meta"))[0] == META_TOKEN
    event = AuditEvent.objects.get(action="token.rotate")
    assert event.detail["ok"] is False
    said = [out.getvalue(), str(failed.value), str(event.detail), *(r.getMessage() for r in caplog.records)]
    for secret in (META_TOKEN, APP_SECRET_FOR_TESTS):
        assert all(secret not in text for text in said)


def test_a_token_meta_says_is_invalid_fails_without_an_exchange(meta: GraphAPIStandIn) -> None:
    # Never issued by the stand-in: debug_token answers is_valid false.
    with pytest.raises(CommandError):
        rotate()

    assert not meta.exchanges
    assert not AuditEvent.objects.get(action="token.rotate").detail["ok"]


def test_without_an_app_id_rotation_is_skipped(meta: GraphAPIStandIn, settings: Any) -> None:
    settings.META_APP_ID = ""

    output = rotate()

    assert "skipped: META_APP_ID not set" in table_line(output, "meta")
    assert not meta.requests


def test_a_provider_this_instance_does_not_have_is_refused(meta: GraphAPIStandIn) -> None:
    with pytest.raises(CommandError, match="No token rotator for 'slack' in this instance; it has: meta, all"):
        rotate("--provider", "slack")
