"""Alfred-Home: the family's WhatsApp assistant."""

from settings.base import *  # noqa: F403
from settings.base import CELERY_BEAT_SCHEDULE, INSTALLED_APPS, instance_settings

INSTANCE = "home"
# Each channel app declares its ChannelDescription in <app>/channel.py; this list is the only mention.
ALFRED_CHANNEL_APPS = ["channels_wa"]
INSTALLED_APPS = [*INSTALLED_APPS, "home_skills", *ALFRED_CHANNEL_APPS]
ALFRED_SKILLS = [
    "alfred.skills.core",
    "home_skills.skills.shopping.skill",
    "home_skills.skills.chores.skill",
]
CELERY_BEAT_SCHEDULE = {
    **CELERY_BEAT_SCHEDULE,
    # Each member's morning reminder goes out at their local 08:00; the task checks every member's clock.
    "home-chore-reminders": {"task": "home_skills.tasks.chore_reminders_dispatch", "schedule": 300.0},
}
globals().update(instance_settings(INSTANCE))
