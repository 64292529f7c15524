"""rotate_tokens for a Slack app with token rotation on, against the Web API stand-in: oauth.v2.access
(grant_type=refresh_token) renews the 12-hour bot token, the row lock spends each refresh token once, and the
sender and the bolt app use the renewed token."""

from collections.abc import Iterator
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from alfred.models import AuditEvent, Credential, Member, Status
from alfred.outbox import message_member
from alfred.rotation import rotate_tokens_task, tokens_rotate
from alfred.vault import credential_tokens, vault_forget
from tests.channels_slack.conftest import BOT_TOKEN
from tests.helpers import all_at_once
from tests.standins.slack_api import Reply, SlackAPIStandIn, slack_error

pytestmark = [pytest.mark.biz, pytest.mark.django_db(transaction=True)]

CLIENT_ID = "1234567890.0987654321"
CLIENT_SECRET = "test-client-secret-never-logged"
REFRESH_TOKEN = "xoxe-1-test-refresh-token-never-logged"


@pytest.fixture
def rotation(slack_settings: Any, slack: SlackAPIStandIn) -> Iterator[SlackAPIStandIn]:
    slack_settings.SLACK_CLIENT_ID = CLIENT_ID
    slack_settings.SLACK_CLIENT_SECRET = CLIENT_SECRET
    slack_settings.SLACK_REFRESH_TOKEN = REFRESH_TOKEN
    slack_settings.ALFRED_VAULT_KEY = [Fernet.generate_key().decode()]
    slack.rotation(CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN)
    vault_forget()
    yield slack
    vault_forget()


def rotate(*args: str) -> str:
    out = StringIO()
    call_command("rotate_tokens", *args, stdout=out)
    return out.getvalue()


def slack_line(output: str) -> str:
    return next(line for line in output.splitlines() if line.startswith("slack"))


def refreshes(slack: SlackAPIStandIn) -> list[dict[str, Any]]:
    return [request.arguments for request in slack.requests if request.api_method == "oauth.v2.access"]


def test_the_first_run_refreshes_the_environment_token_and_the_sender_uses_the_new_one(
    rotation: SlackAPIStandIn, owner: Member
) -> None:
    output = rotate("--provider", "slack")

    assert "rotated (expiry unknown)" in slack_line(output)
    (refresh,) = refreshes(rotation)
    assert (refresh["grant_type"], refresh["refresh_token"]) == ("refresh_token", REFRESH_TOKEN)
    token, new_refresh = credential_tokens(Credential.objects.get(provider="slack"))
    assert token.startswith("xoxe.xoxb-1-standin") and new_refresh.startswith("xoxe-1-standin")
    assert new_refresh in rotation.refresh_tokens and REFRESH_TOKEN not in rotation.refresh_tokens
    assert "11h 59m" in slack_line(output)

    row = message_member(member=owner, text="Still there?")
    assert row is not None
    row.refresh_from_db()
    assert row.status == Status.SENT
    post = next(request for request in rotation.requests if request.api_method == "chat.postMessage")
    assert post.headers["authorization"] == f"Bearer {token}"

    from channels_slack.bolt import get_app

    assert get_app().client.token == token


def test_a_refreshed_token_is_kept_until_a_quarter_of_its_life_is_left(rotation: SlackAPIStandIn) -> None:
    rotate()
    assert "kept" in slack_line(rotate())
    assert len(refreshes(rotation)) == 1

    now = timezone.now()
    Credential.objects.update(issued_at=now - timedelta(hours=10), expires_at=now + timedelta(hours=2))
    assert "rotated (near expiry)" in slack_line(rotate())
    assert len(refreshes(rotation)) == 2


def test_web_worker_and_a_manual_run_at_once_spend_the_refresh_token_once(rotation: SlackAPIStandIn) -> None:
    rotate()
    now = timezone.now()
    Credential.objects.update(issued_at=now - timedelta(hours=11), expires_at=now + timedelta(hours=1))
    rotation.clear()
    # The refresh is held back, so a racer that did not wait for the row lock would reach Slack meanwhile.
    rotation.script("oauth.v2.access", Reply(delay=0.5))
    results: list[Any] = []

    errors = all_at_once(3, lambda: results.extend(tokens_rotate(providers=["slack"])))

    assert not errors
    assert len(refreshes(rotation)) == 1, "the same refresh token reached Slack twice (slack-bolt #663)"
    assert sorted(result.action for result in results) == ["kept", "kept", "rotated (near expiry)"]
    assert all(result.ok for result in results)
    assert AuditEvent.objects.filter(action="token.rotate").count() == 2


def test_a_failed_refresh_keeps_the_old_token_and_exits_1(rotation: SlackAPIStandIn) -> None:
    rotation.script("oauth.v2.access", slack_error("invalid_refresh_token"))
    out = StringIO()

    with pytest.raises(CommandError) as failed:
        call_command("rotate_tokens", stdout=out)

    assert failed.value.returncode == 1
    assert "Slack refused the refresh (invalid_refresh_token)" in slack_line(out.getvalue())
    assert credential_tokens(Credential.objects.get(provider="slack")) == (BOT_TOKEN, REFRESH_TOKEN)
    vault_forget()
    from channels_slack.client import slack_client

    assert slack_client().token == BOT_TOKEN
    for text in (out.getvalue(), str(failed.value), str(AuditEvent.objects.get(action="token.rotate").detail)):
        assert BOT_TOKEN not in text and REFRESH_TOKEN not in text and CLIENT_SECRET not in text


def test_dry_run_prints_the_table_and_spends_nothing(rotation: SlackAPIStandIn) -> None:
    output = rotate("--dry-run")

    assert "would rotate (expiry unknown)" in slack_line(output)
    assert not refreshes(rotation) and not Credential.objects.exists()


def test_with_rotation_off_nothing_is_done(rotation: SlackAPIStandIn, settings: Any) -> None:
    settings.SLACK_REFRESH_TOKEN = ""

    assert "skipped: token rotation off" in slack_line(rotate())
    assert not rotation.requests


def test_beat_runs_the_same_rotation(rotation: SlackAPIStandIn) -> None:
    rotate_tokens_task.apply()

    assert len(refreshes(rotation)) == 1
    assert AuditEvent.objects.get(action="token.rotate").actor == "beat"
