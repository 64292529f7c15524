"""Configuration: the credential check, the demo owner's address, the channel in the biz settings."""

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from django.core.checks import run_checks
from django.core.management import call_command
from django.urls import resolve

from alfred.channels import get_channel
from alfred.console import console_exchange
from alfred.models import MemberAddress
from channels_slack.views import slack_events

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


MANIFESTS = Path(__file__).resolve().parents[2] / "channels_slack"


def manifest(name: str) -> dict[str, Any]:
    loaded = yaml.safe_load((MANIFESTS / name).read_text())
    assert isinstance(loaded, dict), name
    # Slack's manifest editor takes YAML or JSON: the same data must survive the JSON form too.
    assert json.loads(json.dumps(loaded)) == loaded
    return loaded


def urls_in(value: object) -> list[str]:
    """Every value under a ``url``/``request_url`` key, anywhere in a manifest."""
    if isinstance(value, dict):
        found = [str(item) for key, item in value.items() if key in ("url", "request_url")]
        return found + [url for item in value.values() for url in urls_in(item)]
    if isinstance(value, list):
        return [url for item in value for url in urls_in(item)]
    return []


def test_the_manifest_points_every_request_at_the_one_endpoint():
    http = manifest("manifest.yml")
    settings_part = http["settings"]
    urls = {
        settings_part["event_subscriptions"]["request_url"],
        settings_part["interactivity"]["request_url"],
        *(command["url"] for command in http["features"]["slash_commands"]),
    }
    assert urls == set(urls_in(http)) == {"https://<host>/slack/events/"}
    # The path is the route biz serves, and that route is the Slack view.
    assert resolve(urlsplit(urls.pop()).path).func is slack_events
    assert settings_part["socket_mode_enabled"] is False
    assert set(settings_part["event_subscriptions"]["bot_events"]) == {"app_mention", "message.im"}
    assert {"chat:write", "commands", "app_mentions:read", "im:history"} <= set(http["oauth_config"]["scopes"]["bot"])


def test_the_socket_mode_manifest_is_the_same_app_without_request_urls():
    socket = manifest("manifest-socket.yml")
    assert socket["settings"]["socket_mode_enabled"] is True
    assert urls_in(socket) == []
    # Everything else as the HTTP manifest, so the two cannot drift apart (scopes, events, the command).
    http = manifest("manifest.yml")
    for command in http["features"]["slash_commands"]:
        del command["url"]
    del http["settings"]["event_subscriptions"]["request_url"]
    del http["settings"]["interactivity"]["request_url"]
    http["settings"]["socket_mode_enabled"] = True
    assert socket == http
