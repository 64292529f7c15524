"""The Slack channel cannot work without its credentials (``required_settings`` of its description);
outside development mode a deployment that installs it and lacks one does not start: the check carries the core's
tag, so every entry point (web, worker, beat, management commands) runs it at boot.

With Socket Mode (``SLACK_APP_TOKEN`` set) the signing secret is not needed: Slack's envelopes arrive over a
connection Alfred opened with the app token, and the HTTP endpoint answers 503 without a secret."""

import dataclasses
from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Tags, register

from alfred.checks import ALFRED_TAG, missing_credentials
from channels_slack.channel import SLACK


@register(Tags.compatibility, ALFRED_TAG, "channels_slack")
def check_credentials(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[CheckMessage]:
    description = SLACK
    if settings.SLACK_APP_TOKEN:
        required = tuple(name for name in SLACK.required_settings if name != "SLACK_SIGNING_SECRET")
        description = dataclasses.replace(SLACK, required_settings=required)
    return missing_credentials(description, check_id="channels_slack.E001")
