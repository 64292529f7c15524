"""The WhatsApp channel cannot work without its credentials (``required_settings`` of its description);
outside development mode a deployment that installs it and lacks one does not start: the check carries the core's
tag, so every entry point (web, worker, beat, management commands) runs it at boot."""

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.core.checks import CheckMessage, Tags, register

from alfred.checks import ALFRED_TAG, missing_credentials
from channels_wa.channel import WHATSAPP


@register(Tags.compatibility, ALFRED_TAG, "channels_wa")
def check_credentials(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[CheckMessage]:
    return missing_credentials(WHATSAPP, check_id="channels_wa.E001")
