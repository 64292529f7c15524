"""Alfred-Biz: the business assistant in Slack."""

from settings.base import *  # noqa: F403
from settings.base import INSTALLED_APPS, instance_settings

INSTANCE = "biz"
# Each channel app declares its ChannelDescription in <app>/channel.py; this list is the only mention.
ALFRED_CHANNEL_APPS = ["channels_slack"]
INSTALLED_APPS = [*INSTALLED_APPS, "work_skills", *ALFRED_CHANNEL_APPS]
ALFRED_SKILLS = [
    "alfred.skills.core",
    "work_skills.skills.crm.skill",
]
globals().update(instance_settings(INSTANCE))
