"""Alfred-Home: the family's WhatsApp assistant."""

from settings.base import *  # noqa: F403
from settings.base import INSTALLED_APPS, instance_settings

INSTANCE = "home"
INSTALLED_APPS = [*INSTALLED_APPS, "home_skills", "channels_wa"]
ALFRED_SKILLS = [
    "alfred.skills.core",
]
ALFRED_SENDERS = {
    "console": "alfred.console.ConsoleSender",
    "whatsapp": "channels_wa.sender.WhatsAppSender",
}
ALFRED_INBOUND_PREPARERS = {"whatsapp": "channels_wa.inbound.prepare"}
globals().update(instance_settings(INSTANCE))
