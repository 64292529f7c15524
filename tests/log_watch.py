"""The suite-wide watch for secrets in log records (README "Credentials"): a handler on the root logger, at
DEBUG for the whole session, that carries the same filters as the processes' own handler (``LOGGING``), formats
every record that reaches it and remembers each one whose text still holds a secret. ``tests/conftest.py``
fails the test during which such a record was logged.

Its list of secrets is its own, not the filter's: every setting named like a secret (``…SECRET``, ``…TOKEN``,
``…PASSWORD``, ``…_KEY``), read when the record is logged (fixtures change them), and the database password,
so a secret the filter does not know about is still caught."""

import logging
import re
import threading
from logging.config import DictConfigurator
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

SECRET_SETTING = re.compile(r"(SECRET|TOKEN|PASSWORD|_KEY|_KEY_FALLBACKS)$")
# Named like a secret, but not one.
NOT_SECRET = {"ALFRED_BRIDGE_PUBLIC_KEY"}
# The filter leaves shorter values alone (alfred.logs.MIN_SECRET_LENGTH); so does the watch.
MIN_LENGTH = 6


def suite_secrets() -> dict[str, str]:
    """Secret value → setting name, as the settings stand now."""
    found: dict[str, str] = {}
    for name in dir(settings):
        if not name.isupper() or not SECRET_SETTING.search(name) or name in NOT_SECRET:
            continue
        value: Any = getattr(settings, name, "")
        for item in value if isinstance(value, list | tuple) else [value]:
            if isinstance(item, str) and len(item) >= MIN_LENGTH:
                found.setdefault(item, name)
    password = settings.DATABASES["default"].get("PASSWORD") or urlsplit(settings.REDIS_URL or "").password
    if password and len(password) >= MIN_LENGTH:
        found.setdefault(password, "DATABASES password")
    return found


def leaked(text: str, secrets: dict[str, str]) -> list[str]:
    """The names of the secrets ``text`` holds."""
    return sorted({name for value, name in secrets.items() if value in text})


class SecretWatch(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
        # The filters of the processes' own handler, built from the same configuration: remove the redacting
        # filter there and this watch sees the secrets.
        config = settings.LOGGING
        configurator = DictConfigurator(config)
        for name in config["handlers"]["console"].get("filters", []):
            # A copy: the configurator consumes the "()" key of the dictionary it is given.
            self.addFilter(configurator.configure_filter(dict(config["filters"][name])))
        self.offences: list[str] = []
        self._lock = threading.Lock()

    def check(self, record: logging.LogRecord) -> list[str]:
        """The secrets this record's formatted text holds once it has been through the filters."""
        if not self.filter(record):
            return []
        return leaked(self.format(record), suite_secrets())

    def emit(self, record: logging.LogRecord) -> None:
        # handle() has already applied the filters.
        names = leaked(self.format(record), suite_secrets())
        if names:
            with self._lock:
                self.offences.append(f"{record.name} {record.levelname}: a record holds {', '.join(names)}")

    def take(self) -> list[str]:
        with self._lock:
            offences, self.offences = self.offences, []
        return offences
