"""The token store: provider tokens encrypted at rest, and the one function the channels read them with.

Tokens are encrypted with ``ALFRED_VAULT_KEY`` (Fernet keys, comma-separated: the first encrypts, every one
decrypts, so keys rotate without downtime; ``manage.py vault_rotate_key`` re-encrypts the rows with the
first). ``current_token(provider, fallback=...)`` gives a channel the newest valid token: the stored one once
``manage.py rotate_tokens`` has stored it, the environment's before that (first boot), or when the operator
has put a new one in the environment, or when the store cannot be read. A process keeps what it read for
``ALFRED_VAULT_CACHE_SECONDS``: the send path asks on every send and must not pay a query and a decryption
each time.

``cryptography`` is imported only when a token is encrypted or decrypted: it costs every process that
imports it ~7 MiB, and a process with no stored token never needs it.
"""

import logging
import threading
import time
from functools import lru_cache
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from alfred.logs import register_secret

if TYPE_CHECKING:
    from cryptography.fernet import MultiFernet

    from alfred.models import Credential

logger = logging.getLogger(__name__)

FINGERPRINT_SALT = "alfred.vault.source"


class VaultError(Exception):
    """The store cannot be used: no key configured, or a row the configured keys cannot decrypt."""


def vault_configured() -> bool:
    return bool(settings.ALFRED_VAULT_KEY)


def _keys() -> "MultiFernet":
    if not vault_configured():
        raise VaultError("ALFRED_VAULT_KEY is not set: there is no token store")
    return _multi_fernet(tuple(settings.ALFRED_VAULT_KEY))


@lru_cache(maxsize=2)
def _multi_fernet(keys: tuple[str, ...]) -> "MultiFernet":
    from cryptography.fernet import Fernet, MultiFernet

    try:
        return MultiFernet([Fernet(key.encode("ascii")) for key in keys])
    except (ValueError, UnicodeEncodeError):
        # The exception text would not name which key; never print the keys themselves.
        raise VaultError(
            "ALFRED_VAULT_KEY holds a value that is not a Fernet key (32 url-safe base64 bytes; generate one "
            'with: python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())")'
        ) from None


def encrypt(value: str) -> str:
    if not value:
        return ""
    # A token about to be stored (a rotation's new one) is redacted from this process's log lines too.
    register_secret(value)
    return _keys().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(value: str) -> str:
    from cryptography.fernet import InvalidToken

    if not value:
        return ""
    try:
        token = _keys().decrypt(value.encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise VaultError("a stored token cannot be decrypted with any key in ALFRED_VAULT_KEY") from None
    # A stored token is a secret no setting names: from now on the log filter redacts it too.
    register_secret(token)
    return token


def reencrypt(value: str) -> str:
    """The same plaintext, encrypted with the first key (a row written with an older key)."""
    from cryptography.fernet import InvalidToken

    if not value:
        return ""
    try:
        return _keys().rotate(value.encode("ascii")).decode("ascii")
    except InvalidToken:
        raise VaultError("a stored token cannot be decrypted with any key in ALFRED_VAULT_KEY") from None


def fingerprint(value: str) -> str:
    """A keyed hash of an environment token: tells whether the environment changed, reveals nothing."""
    return salted_hmac(FINGERPRINT_SALT, value, algorithm="sha256").hexdigest() if value else ""


# provider, fallback → (read at, token). Per process; a write made in this process empties it.
_cache: dict[tuple[str, str], tuple[float, str]] = {}
_cache_lock = threading.Lock()


def vault_forget() -> None:
    """Forget what this process read (after it stored a token, and between tests)."""
    with _cache_lock:
        _cache.clear()


def current_token(provider: str, *, fallback: str) -> str:
    """The token a channel sends with: the newest valid one, ``fallback`` (the environment's) before the
    store holds one. Cached per process for ``ALFRED_VAULT_CACHE_SECONDS``."""
    key = (provider, fallback)
    now = time.monotonic()
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None and now - cached[0] < settings.ALFRED_VAULT_CACHE_SECONDS:
        return cached[1]
    token = _read(provider, fallback)
    with _cache_lock:
        _cache[key] = (now, token)
    return token


def _read(provider: str, fallback: str) -> str:
    from alfred.models import Credential

    if not vault_configured():
        return fallback
    try:
        # A savepoint: a missing table (not migrated yet) must not poison the caller's transaction.
        with transaction.atomic():
            row = Credential.objects.filter(provider=provider).first()
    except DatabaseError:
        logger.warning("token store unreadable for %s; using the environment's token", provider)
        return fallback
    if row is None:
        return fallback
    if fallback and row.source_fingerprint != fingerprint(fallback):
        # The operator replaced the token in the environment after the row was stored: theirs is newer.
        return fallback
    if row.expires_at is not None and row.expires_at <= timezone.now():
        logger.error("stored %s token expired at %s; using the environment's token", provider, row.expires_at)
        return fallback
    try:
        return decrypt(row.token_encrypted) or fallback
    except VaultError as exc:
        logger.error("stored %s token unusable (%s); using the environment's token", provider, exc)
        return fallback


def credential_tokens(row: "Credential") -> tuple[str, str]:
    """(token, refresh token) of a stored row, decrypted."""
    return decrypt(row.token_encrypted), decrypt(row.refresh_encrypted)


def credentials_reencrypt() -> int:
    """Re-encrypt every stored token with the first key of ``ALFRED_VAULT_KEY``; returns the rows done.
    One transaction: the rows are locked, so a rotation running meanwhile waits rather than being lost."""
    from alfred.models import Credential

    done = 0
    with transaction.atomic():
        for row in Credential.objects.select_for_update().order_by("pk"):
            row.token_encrypted = reencrypt(row.token_encrypted)
            row.refresh_encrypted = reencrypt(row.refresh_encrypted)
            row.save(update_fields=["token_encrypted", "refresh_encrypted"])
            done += 1
    vault_forget()
    return done
