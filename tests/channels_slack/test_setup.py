"""Configuration: the credential check, the demo owner's address, the channel in the biz settings."""

import pytest
from django.core.checks import run_checks
from django.core.management import call_command

from alfred.channels import get_channel
from alfred.console import console_exchange
from alfred.models import MemberAddress

pytestmark = [pytest.mark.biz]


def errors() -> list[str]:
    return [m.id for m in run_checks(tags=["channels_slack"]) if m.is_serious()]


@pytest.mark.parametrize("missing", ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_TEAM_ID"])
def test_a_production_biz_without_a_slack_credential_is_a_named_check_error(settings, missing):
    settings.DEV_MODE = False
    settings.SLACK_BOT_TOKEN, settings.SLACK_SIGNING_SECRET, settings.SLACK_TEAM_ID = "xoxb-1", "secret", "T0001"
    setattr(settings, missing, "")

    assert errors() == ["channels_slack.E001"]


def test_development_mode_starts_without_credentials(settings):
    settings.DEV_MODE = True
    settings.SLACK_BOT_TOKEN = settings.SLACK_SIGNING_SECRET = ""

    assert errors() == []


def test_slack_is_a_channel_of_biz_with_its_env_vars():
    slack = get_channel("slack")

    assert slack.urls == "channels_slack.urls"
    assert {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_TEAM_ID", "SLACK_API_BASE"} <= set(slack.env_vars)
    assert slack.send_policy.is_transient("ratelimited")
    assert not slack.send_policy.is_transient("invalid_auth", provider_says_transient=True)


def test_env_template_documents_every_slack_variable():
    from pathlib import Path

    template = (Path(__file__).resolve().parents[2] / ".env.template").read_text()
    for name in get_channel("slack").env_vars:
        assert f"\n{name}=" in template


@pytest.mark.django_db(transaction=True)
def test_the_demo_owner_is_reached_by_the_sample_user_id():
    call_command("seed_demo")
    call_command("seed_demo")

    assert list(MemberAddress.objects.values_list("member__name", "channel", "address")) == [
        ("Owner", "slack", "U2147483697")
    ]
    assert console_exchange("ping", sender="U2147483697").reply == "pong"


def test_the_web_process_loads_the_slack_urls_without_any_slack_sdk():
    """bolt arrives with the first Slack request and slack_sdk with the first send; loading the URLs (every
    web process start) must import neither: each costs memory in every process."""
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import sys, django; django.setup(); import settings.biz; from django.urls import resolve; "
        "resolve('/slack/events/'); import channels_slack.channel, channels_slack.checks; "
        "print(sorted(m for m in sys.modules if m.startswith(('slack_bolt', 'slack_sdk'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "DJANGO_SETTINGS_MODULE": "settings.biz"},
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_manifest_points_every_request_at_the_one_endpoint():
    from pathlib import Path

    import yaml

    manifest = yaml.safe_load((Path(__file__).resolve().parents[2] / "channels_slack" / "manifest.yml").read_text())
    settings_part = manifest["settings"]
    urls = {
        settings_part["event_subscriptions"]["request_url"],
        settings_part["interactivity"]["request_url"],
        *(command["url"] for command in manifest["features"]["slash_commands"]),
    }
    assert urls == {"https://<host>/slack/events/"}
    assert set(settings_part["event_subscriptions"]["bot_events"]) == {"app_mention", "message.im"}
    assert {"chat:write", "commands", "app_mentions:read", "im:history"} <= set(
        manifest["oauth_config"]["scopes"]["bot"]
    )
