"""Alfred-Biz: the business assistant in Slack."""

from settings.base import *  # noqa: F403
from settings.base import CELERY_BEAT_SCHEDULE, INSTALLED_APPS, instance_settings

INSTANCE = "biz"
# Each channel app declares its ChannelDescription in <app>/channel.py; this list is the only mention.
ALFRED_CHANNEL_APPS = ["channels_slack"]
INSTALLED_APPS = [*INSTALLED_APPS, "work_skills", *ALFRED_CHANNEL_APPS]
ALFRED_SKILLS = [
    "alfred.skills.core",
    "work_skills.skills.crm.skill",
    "work_skills.skills.inbox.skill",
]
CELERY_BEAT_SCHEDULE = {
    **CELERY_BEAT_SCHEDULE,
    # The owner's inbox digest goes out at their local 08:00; the task checks each recipient's clock.
    "biz-inbox-digests": {"task": "work_skills.tasks.inbox_digests_dispatch", "schedule": 300.0},
}
globals().update(instance_settings(INSTANCE))
