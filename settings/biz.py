"""Alfred-Biz: the business assistant in Slack."""

from settings.base import *  # noqa: F403
from settings.base import INSTALLED_APPS, instance_settings

INSTANCE = "biz"
# The Slack channel app has no channel description yet (it is being built); it joins this list then.
ALFRED_CHANNEL_APPS = []
INSTALLED_APPS = [*INSTALLED_APPS, "work_skills", "channels_slack", *ALFRED_CHANNEL_APPS]
ALFRED_SKILLS = [
    "alfred.skills.core",
    "work_skills.skills.crm.skill",
]
globals().update(instance_settings(INSTANCE))
