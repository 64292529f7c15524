"""The WhatsApp channel cannot work without its credentials; outside development mode a deployment that
installs it and lacks one does not start (``manage.py check`` runs first in fly/start.sh)."""

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

REQUIRED = ("META_TOKEN", "META_APP_SECRET", "META_VERIFY_TOKEN", "PHONE_ID")


@register(Tags.compatibility, "channels_wa")
def check_credentials(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[CheckMessage]:
    if settings.DEV_MODE:
        return []
    missing = [name for name in REQUIRED if not getattr(settings, name, "")]
    if not missing:
        return []
    return [
        Error(
            f"WhatsApp is installed but {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set.",
            hint="Set them in the environment (see .env.template and README “Connect WhatsApp”).",
            id="channels_wa.E001",
        )
    ]
