"""The Slack channel cannot work without its credentials; outside development mode a deployment that
installs it and lacks one does not start (``manage.py check`` runs first in fly/start.sh)."""

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

# SLACK_TEAM_ID too: without it every request would be ignored, a deployment that looks up but never answers.
REQUIRED = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_TEAM_ID")


@register(Tags.compatibility, "channels_slack")
def check_credentials(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[CheckMessage]:
    if settings.DEV_MODE:
        return []
    missing = [name for name in REQUIRED if not getattr(settings, name, "")]
    if not missing:
        return []
    return [
        Error(
            f"Slack is installed but {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set.",
            hint="Set them in the environment (see .env.template and README “Connect Slack”).",
            id="channels_slack.E001",
        )
    ]
