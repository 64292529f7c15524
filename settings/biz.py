"""Alfred-Biz: the business assistant in Slack."""

from settings.base import *  # noqa: F403
from settings.base import INSTALLED_APPS, instance_settings

INSTANCE = "biz"
INSTALLED_APPS = [*INSTALLED_APPS, "work_skills", "channels_slack"]
ALFRED_SKILLS = [
    "alfred.skills.core",
]
ALFRED_SENDERS = {
    "console": "alfred.console.ConsoleSender",
}
globals().update(instance_settings(INSTANCE))
