"""The Slack channel cannot work without its credentials (``required_settings`` of its description);
outside development mode a deployment that installs it and lacks one does not start (``manage.py check`` runs
first in fly/start.sh)."""

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.core.checks import CheckMessage, Tags, register

from alfred.checks import missing_credentials
from channels_slack.channel import SLACK


@register(Tags.compatibility, "channels_slack")
def check_credentials(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[CheckMessage]:
    return missing_credentials(SLACK, check_id="channels_slack.E001")
