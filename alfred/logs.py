"""Log lines: one JSON object per line carrying the instance (or readable text in development mode), and a
filter on every handler that redacts secrets before any formatter sees the record.

Imported by gunicorn's configuration (``alfred/gunicorn_conf.py``) before Django is set up, so nothing here
imports Django at module level: the configured secrets are read from the environment, and from Django's
settings once a process has loaded them (the test suite changes them at run time).
"""

import json
import logging
import logging.config
import os
import re
import sys
import threading
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from alfred import log_context

# Settings (and environment variables of the same name) whose values are secrets.
SECRET_NAMES = (
    "SECRET_KEY",
    "SECRET_KEY_FALLBACKS",
    "EMAIL_HOST_PASSWORD",
    "META_TOKEN",
    "META_APP_SECRET",
    "META_VERIFY_TOKEN",
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_CLIENT_SECRET",
    "SLACK_REFRESH_TOKEN",
    "OPENAI_API_KEY",
    "IMAP_PASSWORD",
    "ALFRED_VAULT_KEY",
    "ALFRED_BRIDGE_SIGNING_KEY",
    "ALFRED_METRICS_TOKEN",
    "ALFRED_AUDIT_S3_SECRET_ACCESS_KEY",
    "ALFRED_BRIDGE_READER_SECRET_ACCESS_KEY",
    "ALFRED_BRIDGE_WRITER_SECRET_ACCESS_KEY",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
)
# URLs whose password is a secret (the rest of the URL is worth seeing in a log line).
SECRET_URL_NAMES = ("DATABASE_URL", "REDIS_URL")
# Shorter values would redact ordinary words; no real secret is this short.
MIN_SECRET_LENGTH = 6

# Strings shaped like provider tokens, configured or not (a token pasted into a message, one Slack returned).
TOKEN_SHAPES = re.compile(
    r"\bxox[abpre]-[A-Za-z0-9-]+"  # Slack bot, user, app-level refresh tokens
    r"|\bxapp-[A-Za-z0-9-]+"  # Slack app-level (Socket Mode) tokens
    r"|\bEAA[A-Za-z0-9]{20,}"  # Meta access tokens
    r"|\bsk-[A-Za-z0-9_-]{16,}"  # OpenAI keys (sk-…, sk-proj-…)
    r"|(?<=Bearer )(?!realm=)[A-Za-z0-9._~+/-]{8,}=*",
    re.IGNORECASE,
)
# Query parameters carrying a secret: Meta's webhook verification and OAuth exchanges (gunicorn's access log
# prints the request line with its query string).
SECRET_PARAMETERS = re.compile(
    r"((?:hub\.verify_token|verify_token|access_token|input_token|fb_exchange_token|client_secret|refresh_token"
    r"|token)=)(?!\[redacted)[^&\s\"']+",
    re.IGNORECASE,
)
REDACTED = "[redacted]"

# Secrets that are not configured but read at run time (the token store's decrypted tokens), newest last.
_registered: dict[str, None] = {}
_registered_lock = threading.Lock()
MAX_REGISTERED = 100


def register_secret(value: str) -> None:
    """Redact ``value`` from every log line of this process from now on."""
    if len(value) < MIN_SECRET_LENGTH:
        return
    with _registered_lock:
        _registered.pop(value, None)
        _registered[value] = None
        while len(_registered) > MAX_REGISTERED:
            del _registered[next(iter(_registered))]


def _lookup(source: Any, name: str) -> object:
    return source.get(name) if isinstance(source, os._Environ) else getattr(source, name, None)


def _values(name: str, raw: object) -> list[str]:
    if isinstance(raw, str):
        # The environment's ALFRED_VAULT_KEY is a comma-separated list of keys; the settings' is a list.
        return [raw, *raw.split(",")] if name == "ALFRED_VAULT_KEY" else [raw]
    if isinstance(raw, list | tuple):
        return [str(item) for item in raw]
    return []


def _url_password(url: object) -> str:
    if not isinstance(url, str):
        return ""
    try:
        return urlsplit(url).password or ""
    except ValueError:
        return ""


def configured_secrets() -> dict[str, str]:
    """Secret value → the name it is configured under: the environment's, Django's settings (when this
    process has loaded them) and the registered ones. Read on every call: tests and rotations change them."""
    sources: list[Any] = [os.environ]
    django_settings = _django_settings()
    if django_settings is not None:
        sources.append(django_settings)
    found: dict[str, str] = {}
    for source in sources:
        for name in SECRET_NAMES:
            for value in _values(name, _lookup(source, name)):
                found.setdefault(value.strip(), name)
        for name in SECRET_URL_NAMES:
            found.setdefault(_url_password(_lookup(source, name)), name)
    if django_settings is not None:
        databases = getattr(django_settings, "DATABASES", {})
        found.setdefault(str(databases.get("default", {}).get("PASSWORD") or ""), "DATABASE_URL")
    with _registered_lock:
        for value in _registered:
            found.setdefault(value, "token")
    return {value: name for value, name in found.items() if len(value) >= MIN_SECRET_LENGTH}


def _django_settings() -> Any:
    """Django's settings when this process has loaded them, else None (gunicorn's master never does)."""
    conf = sys.modules.get("django.conf")
    if conf is None or not conf.settings.configured:
        return None
    return conf.settings


def redact(text: str, secrets: dict[str, str] | None = None) -> str:
    """``text`` with every configured secret, token-shaped string and secret query parameter replaced."""
    secrets = configured_secrets() if secrets is None else secrets
    # Longest first: a secret containing another is replaced whole.
    for value in sorted(secrets, key=len, reverse=True):
        if value in text:
            text = text.replace(value, f"[redacted:{secrets[value]}]")
    text = SECRET_PARAMETERS.sub(rf"\1{REDACTED}", text)
    return TOKEN_SHAPES.sub(REDACTED, text)


class RedactSecrets(logging.Filter):
    """On every handler: the record's message (with its arguments), exception and stack text are redacted
    and fixed into the record, so no formatter, JSON or text, can print a secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = configured_secrets()
        try:
            message = record.getMessage()
        except Exception:
            # Arguments that do not fit the format: the handler reports the error; no message to redact.
            return True
        record.msg, record.args = redact(message, secrets), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, secrets)
        return True


class JsonLines(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, instance, the request and message
    it is about when there is one (alfred/log_context.py), and the exception's text when there is one. Only
    these fields: a record's extra attributes (Django's request object) are never serialised."""

    def __init__(self, instance: str) -> None:
        super().__init__()
        self.instance = instance

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "instance": self.instance,
            **log_context.current(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line, ensure_ascii=False, default=str)


# Servers (gunicorn, the Celery worker and beat) log to stdout; everything else (management commands, scripts)
# to stderr, Python's default: a command's stdout is its output (a table, ``chat --json``'s answer), read by
# people and scripts.
_stream = "stderr"


def log_to_stdout() -> None:
    """Called by the servers' entry points; handlers made earlier in the process are moved too."""
    global _stream
    _stream = "stdout"
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler) and any(isinstance(f, RedactSecrets) for f in handler.filters):
            handler.setStream(sys.stdout)


def console_handler() -> logging.Handler:
    """The one handler of every logger, built when the logging configuration is applied."""
    # Python's warnings (Celery's about running as root, deprecations) would be printed plainly on stderr:
    # through logging they become lines like the others.
    logging.captureWarnings(True)
    return logging.StreamHandler(sys.stderr if _stream == "stderr" else sys.stdout)


def dev_mode_from_environment() -> bool:
    """Development mode as settings/base.py decides it, for the processes that never load the settings
    (gunicorn's master, ``python -m alfred.logs``)."""
    return not os.environ.get("DATABASE_URL") or os.environ.get("DEBUG", "").lower() in ("1", "true", "yes", "on")


def log_format(*, dev_mode: bool) -> str:
    """``ALFRED_LOG_FORMAT``: json, or text; text by default in development mode so the console stays readable."""
    chosen = os.environ.get("ALFRED_LOG_FORMAT", "") or ("text" if dev_mode else "json")
    if chosen not in ("json", "text"):
        raise ValueError(f"ALFRED_LOG_FORMAT must be json or text, not {chosen!r}")
    return chosen


def logging_config(instance: str, *, level: str, style: str, loggers: dict[str, Any] | None = None) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` dictionary: every record goes through the redacting filter to one
    handler on the root logger."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact": {"()": "alfred.logs.RedactSecrets"}},
        "formatters": {
            "json": {"()": "alfred.logs.JsonLines", "instance": instance},
            "text": {"format": f"%(asctime)s %(levelname)s instance={instance} %(name)s %(message)s"},
        },
        "handlers": {"console": {"()": "alfred.logs.console_handler", "formatter": style, "filters": ["redact"]}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": loggers or {},
    }
