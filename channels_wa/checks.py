"""The WhatsApp channel cannot work without its credentials (``required_settings`` of its description);
outside development mode a deployment that installs it and lacks one does not start (``manage.py check`` runs
first in fly/start.sh)."""

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.core.checks import CheckMessage, Tags, register

from alfred.checks import missing_credentials
from channels_wa.channel import WHATSAPP


@register(Tags.compatibility, "channels_wa")
def check_credentials(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[CheckMessage]:
    return missing_credentials(WHATSAPP, check_id="channels_wa.E001")
