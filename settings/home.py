"""Alfred-Home: the family's WhatsApp assistant."""

from settings.base import *  # noqa: F403
from settings.base import (
    CELERY_BEAT_SCHEDULE,
    DEV_MODE,
    INSTALLED_APPS,
    LocalCrontab,
    env,
    instance_settings,
    secret,
)

INSTANCE = "home"
# Each channel app declares its ChannelDescription in <app>/channel.py; this list is the only mention.
ALFRED_CHANNEL_APPS = ["channels_wa"]
INSTALLED_APPS = [*INSTALLED_APPS, "home_skills", *ALFRED_CHANNEL_APPS]
ALFRED_SKILLS = [
    "alfred.skills.core",
    # First: its questions ("am I free on Saturday?") are claimed before the list rules guess at them.
    "home_skills.skills.calendar.skill",
    "home_skills.skills.shopping.skill",
    "home_skills.skills.chores.skill",
]
CELERY_BEAT_SCHEDULE = {
    **CELERY_BEAT_SCHEDULE,
    # Each member's morning reminder goes out at their local 08:00; the task checks every member's clock.
    "home-chore-reminders": {"task": "home_skills.tasks.chore_reminders_dispatch", "schedule": 300.0},
    # The calendar bridge: read biz's busy blocks an hour after biz writes them.
    "home-calendar-import": {"task": "home_skills.tasks.calendar_import", "schedule": LocalCrontab(hour=3, minute=0)},
    # Hourly: an alert (log, audit event, metric) while the busy blocks are older than two nights.
    "home-calendar-age": {"task": "home_skills.tasks.calendar_bridge_check", "schedule": 3600.0},
}

# --- calendar bridge, the reading side (README "Calendar bridge"); only home reads these ---
# Biz's Ed25519 public key (base64, from `manage.py bridge_keys` on biz). Not a secret. Development mode has
# the public half of the development pair settings/biz.py signs with.
ALFRED_BRIDGE_PUBLIC_KEY: str = env(
    "ALFRED_BRIDGE_PUBLIC_KEY", default="W4phM6Jk49qYJsRlslWYHS9kyOfby2QZ9OPeG2+o48I=" if DEV_MODE else ""
)
# A URL the document is fetched from as it is (a CDN, a public-read object); empty = the bucket or directory.
ALFRED_BRIDGE_URL: str = env("ALFRED_BRIDGE_URL", default="")
# A key that may only get the one object (home signs its one GET with it). Empty = boto3's chain.
ALFRED_BRIDGE_READER_ACCESS_KEY_ID: str = env("ALFRED_BRIDGE_READER_ACCESS_KEY_ID", default="")
ALFRED_BRIDGE_READER_SECRET_ACCESS_KEY: str = secret("ALFRED_BRIDGE_READER_SECRET_ACCESS_KEY", required=False)
# Hours after which the busy blocks count as stale: answers say so and the alert fires. Two nights (48 h)
# plus the hour between export and import and one of slack.
ALFRED_BRIDGE_STALE_AFTER_HOURS: float = env.float("ALFRED_BRIDGE_STALE_AFTER_HOURS", default=50.0)
# Seconds to wait for the bucket or URL.
ALFRED_BRIDGE_READER_TIMEOUT: float = env.float("ALFRED_BRIDGE_READER_TIMEOUT", default=20.0)
globals().update(instance_settings(INSTANCE))
