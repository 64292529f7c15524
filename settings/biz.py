"""Alfred-Biz: the business assistant in Slack."""

from django.core.exceptions import ImproperlyConfigured

from settings.base import *  # noqa: F403
from settings.base import (
    ALFRED_BRIDGE_BUCKET,
    ALFRED_BRIDGE_DIR,
    ALFRED_BRIDGE_S3_ENDPOINT_URL,
    ALFRED_BRIDGE_S3_REGION,
    CELERY_BEAT_SCHEDULE,
    INSTALLED_APPS,
    META_APP_SECRET,
    META_TOKEN,
    META_VERIFY_TOKEN,
    PHONE_ID,
    STORAGES,
    LocalCrontab,
    env,
    instance_settings,
    secret,
)

INSTANCE = "biz"

# --- biz's optional WhatsApp number (README "Connect WhatsApp" → "Biz's optional number") ---
# Any of these set switches the WhatsApp channel on for biz; then all four must be (the webhook needs the
# verify token for Meta's handshake). Without them the channel is not installed, so alfred.E004 keeps refusing
# a stray META_*/PHONE_ID/WHATSAPP_* variable as the other instance's.
BIZ_WHATSAPP_SWITCH = ("PHONE_ID", "META_TOKEN", "META_APP_SECRET")
_biz_whatsapp_values = {
    "PHONE_ID": PHONE_ID,
    "META_TOKEN": META_TOKEN,
    "META_APP_SECRET": META_APP_SECRET,
    "META_VERIFY_TOKEN": META_VERIFY_TOKEN,
}
BIZ_WHATSAPP: bool = any(_biz_whatsapp_values[name] for name in BIZ_WHATSAPP_SWITCH)
_biz_whatsapp_missing = [name for name, value in _biz_whatsapp_values.items() if not value]
if BIZ_WHATSAPP and _biz_whatsapp_missing:
    # Every mode, development included: half a number is always a mistake (often home's values copied in), and
    # only the names are said, never a value.
    _given = [name for name, value in _biz_whatsapp_values.items() if value]
    raise ImproperlyConfigured(
        f"Biz's WhatsApp number is half configured: {', '.join(_given)} "
        f"{'is' if len(_given) == 1 else 'are'} set but {', '.join(_biz_whatsapp_missing)} "
        f"{'is' if len(_biz_whatsapp_missing) == 1 else 'are'} not. Set all four for biz's own number "
        '(README "Connect WhatsApp" → "Biz\'s optional number") or none of them.'
    )

# Each channel app declares its ChannelDescription in <app>/channel.py; this list is the only mention.
ALFRED_CHANNEL_APPS = ["channels_slack", *(["channels_wa"] if BIZ_WHATSAPP else [])]
INSTALLED_APPS = [*INSTALLED_APPS, "work_skills", *ALFRED_CHANNEL_APPS]
ALFRED_SKILLS = [
    "alfred.skills.core",
    "work_skills.skills.crm.skill",
    "work_skills.skills.inbox.skill",
    "work_skills.skills.calendar.skill",
]
CELERY_BEAT_SCHEDULE = {
    **CELERY_BEAT_SCHEDULE,
    # The owner's inbox digest goes out at their local 08:00; the task checks each recipient's clock.
    "biz-inbox-digests": {"task": "work_skills.tasks.inbox_digests_dispatch", "schedule": 300.0},
    # The calendar bridge: the next days' busy blocks out to home, nightly, an hour before home reads them.
    "biz-calendar-export": {"task": "work_skills.tasks.calendar_export", "schedule": LocalCrontab(hour=2, minute=0)},
}

# --- calendar bridge, the writing side (README "Calendar bridge"); only biz reads these ---
# ICS feeds (https URLs or file paths), comma-separated; events entered in the admin count too.
ALFRED_CALENDAR_ICS_URLS: list[str] = env.list("ALFRED_CALENDAR_ICS_URLS", default=[])
# Days of busy blocks the export covers, from the moment it runs.
ALFRED_CALENDAR_EXPORT_DAYS: int = env.int("ALFRED_CALENDAR_EXPORT_DAYS", default=14)
# Seconds to wait for an ICS feed.
ALFRED_CALENDAR_FETCH_TIMEOUT: float = env.float("ALFRED_CALENDAR_FETCH_TIMEOUT", default=20.0)
# Biz's Ed25519 private key (base64 of 32 bytes, from `manage.py bridge_keys`): a secret. Development mode
# has a public key pair derived from a fixed phrase (settings/home.py holds its public half).
ALFRED_BRIDGE_SIGNING_KEY: str = secret(
    "ALFRED_BRIDGE_SIGNING_KEY", dev_default="dbVjgmTWlVY3ilmvMDdAFeDWWTSuOIcecqTBfw0yEgw=", required=False
)
# A key that may only put the one object (README "Calendar bridge" has the policy). Empty = boto3's chain.
ALFRED_BRIDGE_WRITER_ACCESS_KEY_ID: str = env("ALFRED_BRIDGE_WRITER_ACCESS_KEY_ID", default="")
ALFRED_BRIDGE_WRITER_SECRET_ACCESS_KEY: str = secret("ALFRED_BRIDGE_WRITER_SECRET_ACCESS_KEY", required=False)
STORAGES = {
    **STORAGES,
    "bridge": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": ALFRED_BRIDGE_BUCKET,
            "endpoint_url": ALFRED_BRIDGE_S3_ENDPOINT_URL or None,
            "region_name": ALFRED_BRIDGE_S3_REGION or None,
            "access_key": ALFRED_BRIDGE_WRITER_ACCESS_KEY_ID or None,
            "secret_key": ALFRED_BRIDGE_WRITER_SECRET_ACCESS_KEY or None,
            # Put only: no existence check before, no read after (the key may not read).
            "file_overwrite": True,
            "object_parameters": {"ContentType": "application/json", "CacheControl": "no-cache"},
        },
    }
    if ALFRED_BRIDGE_BUCKET
    else {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": ALFRED_BRIDGE_DIR, "allow_overwrite": True},
    },
}
if BIZ_WHATSAPP:
    # Biz's own approved template for what it starts outside the 24-hour window (the morning inbox digest:
    # {{1}} the owner's name, {{2}} the number of new emails), never home's chore_reminder; the digest's per-email
    # buttons stay out of it.
    WHATSAPP_REMINDER_TEMPLATE = env("WHATSAPP_REMINDER_TEMPLATE", default="inbox_digest")
    WHATSAPP_REMINDER_TEMPLATE_QUICK_REPLIES = env.int("WHATSAPP_REMINDER_TEMPLATE_QUICK_REPLIES", default=0)
globals().update(instance_settings(INSTANCE))
