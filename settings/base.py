"""Everything both instances share. ``home.py`` and ``biz.py`` add their apps and skills, then call
``instance_settings()`` for what depends on the instance name (database file, key prefixes, queues).

The environment is read here and nowhere else. Embedded mode (no ``DATABASE_URL``) is for ``make chat``:
SQLite, inline tasks, local-memory cache, and development defaults for secrets. Outside it every secret
must come from the environment.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from alfred.logs import log_format, logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DATABASE_URL: str = env("DATABASE_URL", default="")
REDIS_URL: str = env("REDIS_URL", default="")
EMBEDDED = not DATABASE_URL
DEBUG = env.bool("DEBUG", default=EMBEDDED)
DEV_MODE = EMBEDDED or DEBUG

# The instance named by the environment; a system check compares it with the settings module's INSTANCE.
INSTANCE_FROM_ENV: str = env("INSTANCE", default="")


def secret(name: str, *, dev_default: str = "", required: bool = True) -> str:
    """A secret from the environment; only development mode may fall back to a default. A secret that only
    some deployments need (``required=False``) is empty when unset, and the app that needs it has a system
    check saying so."""
    if DEV_MODE:
        return str(env(name, default=dev_default))
    if not required:
        return str(env(name, default=""))
    value = str(env(name))
    if not value:
        raise ImproperlyConfigured(f"Set the {name} environment variable (it is empty)")
    return value


SECRET_KEY = secret("SECRET_KEY", dev_default="dev-only-insecure-key-never-used-in-production")
ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=["*"] if DEV_MODE else [])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- HTTPS (README "Who may talk"): on for a deployment that is reached only over HTTPS (fly/*.toml set
# ALFRED_HTTPS=1), off by default: the tests, the browser tests' live server and local runs speak plain HTTP.
ALFRED_HTTPS: bool = env.bool("ALFRED_HTTPS", default=False) and not DEBUG
if ALFRED_HTTPS:
    # Fly's proxy ends TLS and says so in X-Forwarded-Proto; it overwrites a client's own header.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    # Fly's health check calls the machine directly over plain HTTP: a redirect would fail it.
    SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
    SECURE_HSTS_SECONDS: int = env.int("ALFRED_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Only a header: a domain joins browsers' preload lists when its owner submits it (hstspreload.org).
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

INSTALLED_APPS = [
    # django.contrib.admin with Alfred's site: per-instance look, index grouped by skill, dashboard.
    "alfred.admin_site.AlfredAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "alfred",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "alfred.urls"
WSGI_APPLICATION = "settings.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Madrid"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Served straight from the apps when collectstatic has not run (make serve); the image runs collectstatic.
WHITENOISE_USE_FINDERS = True
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Webhook bodies above this are refused with 413 before parsing (Meta's own payloads stay far below it).
DATA_UPLOAD_MAX_MEMORY_SIZE = 3 * 1024 * 1024

# --- Alfred ---------------------------------------------------------------------------------------
ALFRED_DEFAULT_TIMEZONE: str = env("ALFRED_DEFAULT_TIMEZONE", default="Europe/Madrid")
# Inbound messages longer than this are cut before any skill or the LLM sees them; the row keeps all.
ALFRED_MAX_MESSAGE_CHARS: int = env.int("ALFRED_MAX_MESSAGE_CHARS", default=2000)
# The sweeper re-enqueues rows that have waited this long (seconds) in received/queued.
ALFRED_SWEEP_AFTER_SECONDS: int = env.int("ALFRED_SWEEP_AFTER_SECONDS", default=30)
# A message claimed for handling longer ago than this is considered abandoned by a dead worker.
ALFRED_HANDLING_LEASE_SECONDS: int = env.int("ALFRED_HANDLING_LEASE_SECONDS", default=300)
# A worker refreshes a key this short-lived while it runs; a row claimed by one whose key lapsed is taken
# back at the next sweep, without waiting for the lease (alfred/liveness.py).
ALFRED_WORKER_ALIVE_SECONDS: int = env.int("ALFRED_WORKER_ALIVE_SECONDS", default=15)
# A send interrupted by a dead worker, on a channel whose provider reports every send it accepted (WhatsApp),
# is sent again once this many seconds have passed since its claim without a report: it never reached the
# provider. A report later than this (webhooks held back by the provider) would mean a second copy; 0 = never
# send again, fail it instead (what a channel without reports always does).
ALFRED_UNCONFIRMED_SEND_SECONDS: int = env.int("ALFRED_UNCONFIRMED_SEND_SECONDS", default=60)
# How often beat runs the sweeper.
ALFRED_SWEEP_EVERY_SECONDS: int = env.int("ALFRED_SWEEP_EVERY_SECONDS", default=15)
# Unknown senders get at most one refusal per conversation in this many hours.
ALFRED_REFUSAL_EVERY_HOURS: int = env.int("ALFRED_REFUSAL_EVERY_HOURS", default=24)
# Messages one member may send per minute (counted in Redis by arrival minute); past it, one "slow down" reply
# and the rest kept unanswered, with no skill or LLM work (alfred/throttle.py). 0 = no limit.
ALFRED_MEMBER_MESSAGES_PER_MINUTE: int = env.int("ALFRED_MEMBER_MESSAGES_PER_MINUTE", default=20)
# The channel apps of the instance (each with a ``channel.py`` declaring its ChannelDescription).
ALFRED_CHANNEL_APPS: list[str] = []
# Seconds the web process remembers who an inbound address belongs to (0 = look up every time). Admin edits in
# the web process clear it at once; a change made elsewhere shows within this many seconds.
ALFRED_MEMBER_CACHE_SECONDS: float = env.float("ALFRED_MEMBER_CACHE_SECONDS", default=30.0)
ALFRED_OUTBOUND_MAX_ATTEMPTS: int = env.int("ALFRED_OUTBOUND_MAX_ATTEMPTS", default=6)

# --- LLM (alfred/llm; empty key = not configured, the brain uses rules + fallback) ----------------
# Optional in every mode, so no secret() default: without a key the LLM layer is simply off.
OPENAI_API_KEY: str = env("OPENAI_API_KEY", default="")
# Any OpenAI-compatible server (Ollama, llama.cpp, vLLM, Azure…); empty = api.openai.com.
OPENAI_BASE_URL: str = env("OPENAI_BASE_URL", default="")
OPENAI_MODEL: str = env("OPENAI_MODEL", default="gpt-4o-mini")
# Seconds one request may take; the client retries twice (429/5xx/timeouts), so a call waits ≤ ~3× this.
ALFRED_LLM_TIMEOUT_SECONDS: float = env.float("ALFRED_LLM_TIMEOUT_SECONDS", default=20.0)
# Completions that may call tools in one turn; one more, without tools, writes the reply.
ALFRED_LLM_MAX_TOOL_ROUNDS: int = env.int("ALFRED_LLM_MAX_TOOL_ROUNDS", default=4)
ALFRED_LLM_MAX_OUTPUT_TOKENS: int = env.int("ALFRED_LLM_MAX_OUTPUT_TOKENS", default=500)
# Conversation memory: this many earlier exchanges, no older than this many hours.
ALFRED_LLM_MEMORY_TURNS: int = env.int("ALFRED_LLM_MEMORY_TURNS", default=6)
ALFRED_LLM_MEMORY_MAX_AGE_HOURS: float = env.float("ALFRED_LLM_MEMORY_MAX_AGE_HOURS", default=6.0)
# Tokens (prompt + completion) this instance may spend per local day; 0 = no limit. Past it: rules only.
ALFRED_LLM_DAILY_TOKEN_BUDGET: int = env.int("ALFRED_LLM_DAILY_TOKEN_BUDGET", default=300_000)
# Completions one member may cause per rolling hour; 0 = no limit. Past it: rules only.
ALFRED_LLM_MEMBER_COMPLETIONS_PER_HOUR: int = env.int("ALFRED_LLM_MEMBER_COMPLETIONS_PER_HOUR", default=40)
# Price per 1,000 tokens for the cost estimate (default: gpt-4o-mini list price in USD).
ALFRED_LLM_COST_PER_1K_INPUT: str = env("ALFRED_LLM_COST_PER_1K_INPUT", default="0.00015")
ALFRED_LLM_COST_PER_1K_OUTPUT: str = env("ALFRED_LLM_COST_PER_1K_OUTPUT", default="0.0006")
# A destructive action proposed by the LLM waits this long for the user's "yes".
ALFRED_LLM_CONFIRM_MINUTES: int = env.int("ALFRED_LLM_CONFIRM_MINUTES", default=10)
# Voice notes transcribed through the same endpoint (audio.transcriptions); needs OPENAI_API_KEY.
ALFRED_TRANSCRIPTION_ENABLED: bool = env.bool("ALFRED_TRANSCRIPTION_ENABLED", default=False)
ALFRED_TRANSCRIPTION_MODEL: str = env("ALFRED_TRANSCRIPTION_MODEL", default="whisper-1")

# --- WhatsApp Cloud API (channels_wa; home, and biz only with a second number) -----------------------
# Secrets are optional here because only the instance that installs channels_wa needs them; its system
# check channels_wa.E001 refuses to start without them outside development mode.
META_TOKEN: str = secret("META_TOKEN", required=False)
META_APP_SECRET: str = secret("META_APP_SECRET", required=False)
META_VERIFY_TOKEN: str = secret("META_VERIFY_TOKEN", required=False)
# Only this number's traffic is handled; deliveries for any other phone_number_id are ignored.
PHONE_ID: str = env("PHONE_ID", default="")
# Tests point this at a loopback stand-in; pywa's requests are re-addressed to it.
WHATSAPP_API_BASE: str = env("WHATSAPP_API_BASE", default="https://graph.facebook.com")
# Graph API version, e.g. "23.0"; empty = the newest version the pinned pywa supports.
WHATSAPP_API_VERSION: str = env("WHATSAPP_API_VERSION", default="")
# Seconds to wait for Meta; a send whose answer never comes is not retried (it may have gone out).
WHATSAPP_API_TIMEOUT: float = env.float("WHATSAPP_API_TIMEOUT", default=15.0)
# Mark each member's message as read with a typing indicator (one call) as soon as the worker takes it.
WHATSAPP_MARK_AS_READ: bool = env.bool("WHATSAPP_MARK_AS_READ", default=True)
# Acknowledge list changes with a ✅ reaction on the member's message instead of a text reply.
WHATSAPP_ACK_REACTION: bool = env.bool("WHATSAPP_ACK_REACTION", default=True)
# The approved template chore reminders go out as when the 24-hour window is closed (README "Connect WhatsApp").
WHATSAPP_REMINDER_TEMPLATE: str = env("WHATSAPP_REMINDER_TEMPLATE", default="chore_reminder")
# Languages the template is approved in; a member gets their own when listed, else the first.
WHATSAPP_REMINDER_TEMPLATE_LANGUAGES: list[str] = env.list("WHATSAPP_REMINDER_TEMPLATE_LANGUAGES", default=["en"])
# Body parameter names when the template uses named parameters ({{name}}, {{chores}}); empty = {{1}}, {{2}}.
WHATSAPP_REMINDER_TEMPLATE_PARAM_NAMES: list[str] = env.list("WHATSAPP_REMINDER_TEMPLATE_PARAM_NAMES", default=[])
# How many quick-reply buttons the template has; each gets the payload of the reminder's button at its index.
WHATSAPP_REMINDER_TEMPLATE_QUICK_REPLIES: int = env.int("WHATSAPP_REMINDER_TEMPLATE_QUICK_REPLIES", default=1)

# --- Slack (channels_slack; biz) ---------------------------------------------------------------------
# Optional here because only biz installs channels_slack; its system check channels_slack.E001 refuses to
# start without them outside development mode.
SLACK_BOT_TOKEN: str = secret("SLACK_BOT_TOKEN", required=False)
SLACK_SIGNING_SECRET: str = secret("SLACK_SIGNING_SECRET", required=False)
# Only this workspace's requests are handled; events, commands and clicks from any other team are ignored.
# Development mode defaults to T0001, the workspace of Slack's documented sample payloads (the demo owner's).
SLACK_TEAM_ID: str = env("SLACK_TEAM_ID", default="T0001" if DEV_MODE else "")
# Slack Web API base, with its trailing slash (slack_sdk appends method names); tests use a loopback stand-in.
SLACK_API_BASE: str = env("SLACK_API_BASE", default="https://slack.com/api/")
# Seconds to wait for Slack; a send whose answer never comes is not retried (it may have gone out).
SLACK_API_TIMEOUT: float = env.float("SLACK_API_TIMEOUT", default=15.0)
# Acknowledge a change the member asked for with a ✅ reaction on their message instead of a text reply.
SLACK_ACK_REACTION: bool = env.bool("SLACK_ACK_REACTION", default=True)
# Socket Mode (README "Connect Slack"): the app-level token (xapp-…, scope connections:write). Set, biz also runs
# `manage.py slack_socket` (make serve, fly/start.sh) and needs no signing secret; empty = the HTTP endpoint only.
SLACK_APP_TOKEN: str = secret("SLACK_APP_TOKEN", required=False)

# --- Work inbox (biz: work_skills/inbox) ------------------------------------------------------------
# The owner's mailbox, read over IMAP. An empty host leaves the inbox skill saying it is not configured.
IMAP_HOST: str = env("IMAP_HOST", default="")
IMAP_PORT: int = env.int("IMAP_PORT", default=993)
IMAP_USER: str = env("IMAP_USER", default="")
# Never required: only a biz instance that reads a mailbox needs it.
IMAP_PASSWORD: str = secret("IMAP_PASSWORD", required=False)
IMAP_FOLDER: str = env("IMAP_FOLDER", default="INBOX")
# TLS from the first byte (IMAPS); false only for a server on loopback, as in the tests.
IMAP_SSL: bool = env.bool("IMAP_SSL", default=True)
# Seconds to wait for the IMAP server before the summary says the mailbox cannot be reached.
IMAP_TIMEOUT: float = env.float("IMAP_TIMEOUT", default=20.0)

# --- isolation: config checks and the instance stamp (README "Isolation" 2, 3) ---
# Which app reads which environment variables: exact names, or prefixes ending in "_". Kept here, not in the
# apps, because an instance's image does not contain the other instance's apps, yet must recognise their
# variables. A test holds it equal to every channel description's env_vars and every skill app's settings.
ALFRED_APP_ENV_VARS: dict[str, tuple[str, ...]] = {
    "channels_wa": ("META_", "PHONE_ID", "WHATSAPP_"),
    "channels_slack": ("SLACK_",),
    "work_skills": ("IMAP_", "ALFRED_BRIDGE_SIGNING_KEY", "ALFRED_BRIDGE_WRITER_", "ALFRED_CALENDAR_"),
    # The calendar bridge's reading side (README "Calendar bridge"); its shared names are in neither.
    "home_skills": ("ALFRED_BRIDGE_PUBLIC_KEY", "ALFRED_BRIDGE_READER_", "ALFRED_BRIDGE_URL", "ALFRED_BRIDGE_STALE_"),
}


def _is_owned(name: str) -> bool:
    return any(
        name.startswith(owned) if owned.endswith("_") else name == owned
        for names in ALFRED_APP_ENV_VARS.values()
        for owned in names
    )


# The owned variables this process was started with (names only; an empty value counts as unset). System check
# alfred.E004 refuses those whose apps this instance does not install.
ALFRED_OWNED_ENV_SET: tuple[str, ...] = tuple(
    sorted(name for name, value in env.ENVIRON.items() if value and _is_owned(name))
)
# DEBUG's error page prints the settings (database and Redis URLs with their passwords) and development mode
# uses the public development SECRET_KEY: against a real Postgres that is only for local work, said explicitly.
ALFRED_ALLOW_DEBUG_WITH_DATABASE: bool = env.bool("ALFRED_ALLOW_DEBUG_WITH_DATABASE", default=False)
if (
    DEBUG
    and DATABASE_URL
    and env.db_url_config(DATABASE_URL)["ENGINE"].endswith(("postgresql", "postgis"))
    and not ALFRED_ALLOW_DEBUG_WITH_DATABASE
):
    raise ImproperlyConfigured(
        "DEBUG=1 with a Postgres DATABASE_URL: refusing to start. The debug error page would print the database "
        "and Redis URLs with their passwords, and the public development SECRET_KEY may be in use. Set DEBUG=0, "
        "or for local work only ALFRED_ALLOW_DEBUG_WITH_DATABASE=1."
    )

# --- isolation: database row-level security and Redis users (README "Isolation" 3) ---
# The boot check refuses a Postgres connection as a superuser or BYPASSRLS role, or an Alfred table without
# row-level security (alfred/rls.py). For local work against such a database only: set this to 1.
ALFRED_ALLOW_UNPROTECTED_DATABASE: bool = env.bool("ALFRED_ALLOW_UNPROTECTED_DATABASE", default=False)

# --- isolation: egress guard and logs (README "Isolation" 4, 5) ---
# Hosts this instance may connect to besides those its configuration names (providers, LLM, database, Redis,
# buckets, IMAP): comma-separated names or addresses, "*.example.com" for every name under a domain.
ALFRED_EGRESS_ALLOWLIST: list[str] = env.list("ALFRED_EGRESS_ALLOWLIST", default=[])
# The guard itself (alfred/egress.py); 0 = off, for local work only (a warning is logged at every start).
ALFRED_EGRESS_GUARD: bool = env.bool("ALFRED_EGRESS_GUARD", default=True)

# --- credentials: the token store and rotate_tokens (README "Credentials") ---
# Fernet keys (comma-separated) that encrypt the provider tokens in the database: the first encrypts, all
# decrypt, so a new key goes first and the old one stays until `manage.py vault_rotate_key` has re-encrypted
# every row. Unset outside development mode = no token store: the channels use their environment tokens.
ALFRED_VAULT_KEY: list[str] = [
    key.strip()
    for key in secret(
        "ALFRED_VAULT_KEY", dev_default="YWxmcmVkLWRldi12YXVsdC1rZXktbm90LXNlY3JldCE=", required=False
    ).split(",")
    if key.strip()
]
# Seconds a process keeps the token it read from the store before reading it again (a rotation made in this
# process is seen at once). Replaced tokens stay valid for hours, so a short lag costs nothing.
ALFRED_VAULT_CACHE_SECONDS: float = env.float("ALFRED_VAULT_CACHE_SECONDS", default=60.0)
# A token older than this is exchanged for a new one, whatever its expiry (0 = only near expiry).
ALFRED_TOKEN_MAX_AGE_DAYS: int = env.int("ALFRED_TOKEN_MAX_AGE_DAYS", default=60)
# How often beat runs rotate_tokens. It changes a token only when due; Slack's expire after 12 hours, so
# the check runs hourly and refreshes them with a quarter of their life left.
ALFRED_TOKEN_CHECK_EVERY_SECONDS: float = env.float("ALFRED_TOKEN_CHECK_EVERY_SECONDS", default=3600.0)
# Meta app id: with META_APP_SECRET it checks (debug_token) and exchanges (fb_exchange_token) META_TOKEN.
META_APP_ID: str = env("META_APP_ID", default="")
# Slack token rotation (biz): the app's client id and secret, and the refresh token Slack gave with the
# first bot token. Empty SLACK_REFRESH_TOKEN = token rotation off, SLACK_BOT_TOKEN is used as it is.
SLACK_CLIENT_ID: str = env("SLACK_CLIENT_ID", default="")
SLACK_CLIENT_SECRET: str = secret("SLACK_CLIENT_SECRET", required=False)
SLACK_REFRESH_TOKEN: str = secret("SLACK_REFRESH_TOKEN", required=False)

# --- audit trail (README "Audit log") ---
# Days an audit event, and a stranger's message, stays in the database; the nightly run then archives the
# events (and deletes the strangers' messages).
ALFRED_AUDIT_RETENTION_DAYS: int = env.int("ALFRED_AUDIT_RETENTION_DAYS", default=30)
# Days an archive is kept after its events left the database; then the nightly run deletes it.
ALFRED_AUDIT_ARCHIVE_DAYS: int = env.int("ALFRED_AUDIT_ARCHIVE_DAYS", default=180)
# Events per archive object (one gzipped JSON-lines file each); bounds the run's memory.
ALFRED_AUDIT_ARCHIVE_BATCH: int = env.int("ALFRED_AUDIT_ARCHIVE_BATCH", default=5000)
# The S3 bucket the archives go to; empty = a local directory (the embedded default; a machine's disk is
# not a place to keep an audit trail, so production sets a bucket).
ALFRED_AUDIT_BUCKET: str = env("ALFRED_AUDIT_BUCKET", default="")
# An S3-compatible endpoint (Tigris, MinIO, R2…; tests: moto on loopback); empty = AWS itself.
ALFRED_AUDIT_S3_ENDPOINT_URL: str = env("ALFRED_AUDIT_S3_ENDPOINT_URL", default="")
ALFRED_AUDIT_S3_REGION: str = env("ALFRED_AUDIT_S3_REGION", default="")
# Empty = boto3's own chain (an instance role, AWS_ACCESS_KEY_ID…).
ALFRED_AUDIT_S3_ACCESS_KEY_ID: str = env("ALFRED_AUDIT_S3_ACCESS_KEY_ID", default="")
ALFRED_AUDIT_S3_SECRET_ACCESS_KEY: str = secret("ALFRED_AUDIT_S3_SECRET_ACCESS_KEY", required=False)
# Where archives go without a bucket; empty = var/audit/ in the checkout (git-ignored, like the SQLite file).
ALFRED_AUDIT_ARCHIVE_DIR: str = env("ALFRED_AUDIT_ARCHIVE_DIR", default="") or str(BASE_DIR / "var" / "audit")
# The named storage the archive run writes through (django-storages' S3 backend, or the local directory).
STORAGES["audit"] = (
    {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": ALFRED_AUDIT_BUCKET,
            "endpoint_url": ALFRED_AUDIT_S3_ENDPOINT_URL or None,
            "region_name": ALFRED_AUDIT_S3_REGION or None,
            "access_key": ALFRED_AUDIT_S3_ACCESS_KEY_ID or None,
            "secret_key": ALFRED_AUDIT_S3_SECRET_ACCESS_KEY or None,
            # Kept as the gzip file it is, not announced as an encoding that HTTP clients would undo.
            "object_parameters": {"ContentType": "application/gzip"},
        },
    }
    if ALFRED_AUDIT_BUCKET
    else {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        # A rerun after a crash writes the same name again: the same events, so overwriting is right.
        "OPTIONS": {"location": ALFRED_AUDIT_ARCHIVE_DIR, "allow_overwrite": True},
    }
)

# --- calendar bridge (README "Calendar bridge"): the names both sides share ---
# Biz writes the signed busy-blocks document here and home reads it; each side's own key and credentials are
# in settings/biz.py and settings/home.py, so neither instance's settings hold the other's.
ALFRED_BRIDGE_BUCKET: str = env("ALFRED_BRIDGE_BUCKET", default="")
ALFRED_BRIDGE_S3_ENDPOINT_URL: str = env("ALFRED_BRIDGE_S3_ENDPOINT_URL", default="")
ALFRED_BRIDGE_S3_REGION: str = env("ALFRED_BRIDGE_S3_REGION", default="")
# Without a bucket: a directory both instances can reach (embedded development: var/bridge/ of the checkout).
ALFRED_BRIDGE_DIR: str = env("ALFRED_BRIDGE_DIR", default="") or str(BASE_DIR / "var" / "bridge")
# The one object (key) in the bucket or file in the directory.
ALFRED_BRIDGE_OBJECT: str = env("ALFRED_BRIDGE_OBJECT", default="busy-blocks.json")


class LocalCrontab(crontab):
    """A crontab on the family's wall clock (``ALFRED_DEFAULT_TIMEZONE``) instead of Celery's UTC: the bridge
    runs at 02:00 and 03:00 Madrid time in winter and summer alike. Pickled by class, like any crontab."""

    @property
    def tz(self) -> Any:
        from zoneinfo import ZoneInfo

        return ZoneInfo(ALFRED_DEFAULT_TIMEZONE)


# --- who may talk: admin login, rate limits (README "Who may talk") ---
# Admin login lockout (django-axes; alfred/admin_login.py): after ALFRED_ADMIN_LOGIN_FAILURES wrong passwords
# for one username, or from one client address, logins are refused (429) for ALFRED_ADMIN_LOCKOUT_MINUTES; a
# try during the lockout starts the wait again. Counts live in the database (axes' tables), so they hold across
# processes and restarts.
INSTALLED_APPS += ["axes"]
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]
AXES_FAILURE_LIMIT: int = env.int("ALFRED_ADMIN_LOGIN_FAILURES", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.float("ALFRED_ADMIN_LOCKOUT_MINUTES", default=30.0))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "alfred.admin_login.locked_out"
AXES_CLIENT_IP_CALLABLE = "alfred.admin_login.client_ip"
# Axes' own INFO lines (one at every start, one per login) are off; a lockout is logged and audited by us.
AXES_VERBOSE = False
# The header a trusted proxy puts the client's address in (Fly.io: Fly-Client-IP); empty = the connection's
# address. Only set it behind a proxy that overwrites the header, or anyone can pick their own address.
ALFRED_CLIENT_IP_HEADER: str = env("ALFRED_CLIENT_IP_HEADER", default="")
# Optional second factor for the admin (django-otp, TOTP; alfred/admin_otp.py): users given an authenticator
# with `manage.py admin_totp <username>` must type its code with the password; others log in as before.
INSTALLED_APPS += ["django_otp", "django_otp.plugins.otp_totp"]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "django_otp.middleware.OTPMiddleware",
)
# The admin never shows a device's key or its QR code (the command prints it once).
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
OTP_TOTP_ISSUER = "Alfred"

# --- observability: /metrics (README "Watching it") ---
# The bearer token Prometheus sends to /metrics; unset = /metrics answers 404 (off).
ALFRED_METRICS_TOKEN: str = secret("ALFRED_METRICS_TOKEN", required=False)
# Where every process writes its metric values so that one scrape adds them up (prometheus_client's
# multiprocess mode). prometheus_client reads the variable itself at import: fly/start.sh sets and empties it.
PROMETHEUS_MULTIPROC_DIR: str = env("PROMETHEUS_MULTIPROC_DIR", default="")
# First, so that it times every request, including those the middlewares below answer themselves.
MIDDLEWARE.insert(0, "alfred.metrics.RequestMetricsMiddleware")
# Outermost: every line logged during a request, the metrics middleware's included, names the request.
MIDDLEWARE.insert(0, "alfred.log_context.RequestIdMiddleware")

# --- Celery ---------------------------------------------------------------------------------------
# Without Redis the tasks run inline in the calling process (embedded mode): same code path, no worker.
CELERY_TASK_ALWAYS_EAGER: bool = env.bool("TASKS_INLINE", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_BROKER_URL: str = REDIS_URL or "memory://localhost/"
# kombu's Redis transport with the fix in alfred/broker.py (a lost connection no longer stops the worker).
CELERY_BROKER_TRANSPORT: str | None = "alfred.broker:Transport" if REDIS_URL else None
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A webhook must answer fast even with Redis down: give up publishing quickly, the sweeper re-enqueues.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Celery's Django fix-up closes every database connection before and after each task, so each task paid
# for a new Postgres connection (two per message). A reuse count it never reaches turns that off;
# settings/celery.py treats each task as Django treats a request instead (CONN_MAX_AGE, health checks).
CELERY_DB_REUSE_MAX = 10**9
CELERY_BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "alfred-sweep": {"task": "alfred.tasks.sweep_stuck", "schedule": float(ALFRED_SWEEP_EVERY_SECONDS)},
    "alfred-rotate-tokens": {"task": "alfred.tasks.rotate_tokens", "schedule": ALFRED_TOKEN_CHECK_EVERY_SECONDS},
    # Nightly, at a quiet hour (UTC): audit events out to the archive, old archives and strangers' messages gone.
    "alfred-audit-archive": {"task": "alfred.tasks.audit_archive", "schedule": crontab(hour=3, minute=17)},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # DRF's header, with the key kept as a hash (alfred/api_tokens.py) instead of rest_framework.authtoken.
        "alfred.api_tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

LOG_LEVEL: str = env("LOG_LEVEL", default="INFO")
# json (one object per line, with the instance) or text; text by default in development mode (make chat).
try:
    ALFRED_LOG_FORMAT = log_format(dev_mode=DEV_MODE)
except ValueError as invalid:
    raise ImproperlyConfigured(str(invalid)) from None


def instance_settings(instance: str) -> dict[str, Any]:
    """The settings whose values carry the instance name, so two instances never share a key or a queue."""
    prefix = f"alfred:{instance}"
    if not DATABASE_URL:
        # The embedded SQLite file lives in var/ (git-ignored), which a fresh clone does not have yet.
        (BASE_DIR / "var").mkdir(exist_ok=True)
    databases = {
        "default": env.db_url_config(DATABASE_URL)
        if DATABASE_URL
        else {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "var" / f"alfred-{instance}.sqlite3"}
    }
    databases["default"].setdefault("CONN_MAX_AGE", 60)
    if databases["default"]["ENGINE"].endswith(("postgresql", "postgis")):
        # Row-level security (alfred/rls.py): every connection, pooled or not, says which instance it is.
        options = databases["default"].setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c alfred.instance={instance}".strip()
    databases["default"]["CONN_HEALTH_CHECKS"] = True
    if REDIS_URL:
        caches = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": REDIS_URL,
                "KEY_PREFIX": prefix,
                "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
            }
        }
    else:
        caches = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "KEY_PREFIX": prefix}}
    return {
        "DATABASES": databases,
        "CACHES": caches,
        "CELERY_TASK_DEFAULT_QUEUE": f"alfred-{instance}",
        "CELERY_BROKER_TRANSPORT_OPTIONS": {
            "global_keyprefix": f"{prefix}:",
            "socket_connect_timeout": 2,
            "socket_timeout": 5,
            "max_retries": 1,
        },
        "CELERY_WORKER_HOSTNAME": f"alfred-{instance}@%h",
        # JSON lines (or text in development mode) through the redacting filter: README "Isolation" 5.
        "LOGGING": logging_config(
            instance,
            level=LOG_LEVEL,
            style=ALFRED_LOG_FORMAT,
            loggers={
                "django.db.backends": {"level": "INFO"},
                # A line per task received and succeeded said nothing the rows do not, and cost the worker about a
                # twentieth of its CPU per message (README "Benchmarks", end to end); failures still log.
                "celery.app.trace": {"level": "WARNING"},
                "celery.worker.strategy": {"level": "WARNING"},
                # The HTTP clients under openai log every request at INFO; our own lines say what matters.
                "httpx": {"level": "WARNING"},
                "httpx2": {"level": "WARNING"},
            },
        ),
    }
