"""Alfred-Home: the family's WhatsApp assistant."""

from settings.base import *  # noqa: F403
from settings.base import CELERY_BEAT_SCHEDULE, INSTALLED_APPS, instance_settings

INSTANCE = "home"
INSTALLED_APPS = [*INSTALLED_APPS, "home_skills", "channels_wa"]
ALFRED_SKILLS = [
    "alfred.skills.core",
    "home_skills.skills.shopping.skill",
    "home_skills.skills.chores.skill",
]
ALFRED_SENDERS = {
    "console": "alfred.console.ConsoleSender",
    "whatsapp": "channels_wa.sender.WhatsAppSender",
}
ALFRED_INBOUND_PREPARERS = {"whatsapp": "channels_wa.inbound.prepare"}
CELERY_BEAT_SCHEDULE = {
    **CELERY_BEAT_SCHEDULE,
    # Each member's morning reminder goes out at their local 08:00; the task checks every member's clock.
    "home-chore-reminders": {"task": "home_skills.tasks.chore_reminders_dispatch", "schedule": 300.0},
}
globals().update(instance_settings(INSTANCE))
