"""The token store (alfred/vault.py) and the provider-neutral rotation (alfred/rotation.py), with a rotator
written here: a plug-in as a channel app writes one, counting what it is asked."""

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from alfred.models import AuditEvent, Credential
from alfred.rotation import Issued, RotationError, StoredToken, TokenRotator, token_rotate
from alfred.vault import (
    VaultError,
    credential_tokens,
    current_token,
    decrypt,
    encrypt,
    fingerprint,
    vault_forget,
)

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()
ENV_TOKEN = "env-token-never-shown-anywhere"
STORED_TOKEN = "stored-token-never-shown-anywhere"


@pytest.fixture(autouse=True)
def vault_key(settings: Any) -> Iterator[None]:
    settings.ALFRED_VAULT_KEY = [OLD_KEY]
    settings.ALFRED_VAULT_CACHE_SECONDS = 60.0
    vault_forget()
    yield
    vault_forget()


def stored(token: str = STORED_TOKEN, *, source: str = ENV_TOKEN, **fields: Any) -> Credential:
    return Credential.objects.create(
        provider="test",
        token_encrypted=encrypt(token),
        source_fingerprint=fingerprint(source),
        **fields,
    )


# --- encryption at rest ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_tokens_are_stored_encrypted_and_read_back() -> None:
    row = stored()
    raw = Credential.objects.values_list("token_encrypted", flat=True).get(pk=row.pk)
    assert STORED_TOKEN not in raw
    assert decrypt(raw) == STORED_TOKEN


def test_every_key_decrypts_and_the_first_encrypts(settings: Any) -> None:
    written_with_old = encrypt(STORED_TOKEN)
    settings.ALFRED_VAULT_KEY = [NEW_KEY, OLD_KEY]
    assert decrypt(written_with_old) == STORED_TOKEN
    written_with_new = encrypt(STORED_TOKEN)
    settings.ALFRED_VAULT_KEY = [NEW_KEY]
    assert decrypt(written_with_new) == STORED_TOKEN
    with pytest.raises(VaultError) as refused:
        decrypt(written_with_old)
    assert OLD_KEY not in str(refused.value) and NEW_KEY not in str(refused.value)


@pytest.mark.django_db
def test_vault_rotate_key_reencrypts_every_row_so_the_old_key_can_go(settings: Any) -> None:
    stored()
    settings.ALFRED_VAULT_KEY = [NEW_KEY, OLD_KEY]
    out = run_command("vault_rotate_key")
    assert "1 stored token(s) re-encrypted" in out
    settings.ALFRED_VAULT_KEY = [NEW_KEY]
    assert credential_tokens(Credential.objects.get()) == (STORED_TOKEN, "")
    assert AuditEvent.objects.filter(action="vault.rekey").get().detail == {"rows": 1}


def test_a_key_that_is_not_a_fernet_key_is_refused_without_printing_it(settings: Any) -> None:
    settings.ALFRED_VAULT_KEY = ["not-a-key-but-secret-looking"]
    with pytest.raises(VaultError) as refused:
        encrypt(STORED_TOKEN)
    assert "not-a-key-but-secret-looking" not in str(refused.value)


# --- what the channels read ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_first_boot_reads_the_environment_then_the_stored_token() -> None:
    assert current_token("test", fallback=ENV_TOKEN) == ENV_TOKEN
    stored()
    vault_forget()
    assert current_token("test", fallback=ENV_TOKEN) == STORED_TOKEN


@pytest.mark.django_db
def test_a_new_token_in_the_environment_wins_over_the_stored_one() -> None:
    stored()
    assert current_token("test", fallback="operator-replaced-it") == "operator-replaced-it"


@pytest.mark.django_db
def test_an_expired_stored_token_is_not_used() -> None:
    stored(expires_at=timezone.now() - timedelta(minutes=1))
    assert current_token("test", fallback=ENV_TOKEN) == ENV_TOKEN


@pytest.mark.django_db
def test_without_a_key_there_is_no_store_and_the_environment_is_used(settings: Any) -> None:
    stored()
    settings.ALFRED_VAULT_KEY = []
    assert current_token("test", fallback=ENV_TOKEN) == ENV_TOKEN


@pytest.mark.django_db
def test_a_row_no_key_can_decrypt_falls_back_and_says_so(settings: Any, caplog: pytest.LogCaptureFixture) -> None:
    stored()
    settings.ALFRED_VAULT_KEY = [NEW_KEY]
    assert current_token("test", fallback=ENV_TOKEN) == ENV_TOKEN
    assert any("cannot be decrypted" in record.getMessage() for record in caplog.records)


@pytest.mark.django_db
def test_the_token_is_read_once_per_cache_period(django_assert_num_queries: Any, settings: Any) -> None:
    stored()
    assert current_token("test", fallback=ENV_TOKEN) == STORED_TOKEN
    with django_assert_num_queries(0):
        for _ in range(20):
            assert current_token("test", fallback=ENV_TOKEN) == STORED_TOKEN
    settings.ALFRED_VAULT_CACHE_SECONDS = 0.0
    Credential.objects.update(token_encrypted=encrypt("changed-elsewhere"))
    assert current_token("test", fallback=ENV_TOKEN) == "changed-elsewhere"


# --- the admin shows age and expiry, never the value -----------------------------------------------------


@pytest.mark.django_db
def test_admin_shows_age_and_expiry_never_the_token(client: Client, django_user_model: Any) -> None:
    row = stored(issued_at=timezone.now() - timedelta(days=3), expires_at=timezone.now() + timedelta(days=57))
    ciphertext = row.token_encrypted
    admin_user = django_user_model.objects.create_superuser("root", "root@example.com", "pw-for-tests-only")
    client.force_login(admin_user)

    listing = client.get("/admin/alfred/credential/")
    page = client.get(f"/admin/alfred/credential/{row.pk}/change/")

    for response in (listing, page):
        body = response.content.decode()
        assert response.status_code == 200
        assert STORED_TOKEN not in body and ciphertext not in body and ciphertext[:24] not in body
        assert "3\xa0days" in body and "1\xa0month" in body
    assert client.get("/admin/alfred/credential/add/").status_code == 403
    assert client.get(f"/admin/alfred/credential/{row.pk}/delete/").status_code == 403


# --- rotation, the same for every provider ---------------------------------------------------------------


class CountingRotator(TokenRotator):
    """Hands out token-1, token-2… after ``pause`` seconds; fails when told to."""

    provider = "test"

    def __init__(self, *, lifetime: timedelta | None = timedelta(hours=12), pause: float = 0.0) -> None:
        self.lifetime = lifetime
        self.pause = pause
        self.calls = 0
        self.fail = False
        self.seen: list[str] = []
        self._lock = threading.Lock()

    def seed(self) -> Issued | None:
        return Issued(token=ENV_TOKEN, refresh="env-refresh")

    def max_age(self) -> timedelta | None:
        return timedelta(days=60)

    def rotate(self, stored: StoredToken) -> Issued:
        with self._lock:
            self.calls += 1
            self.seen.append(stored.refresh)
            serial = self.calls
        time.sleep(self.pause)
        if self.fail:
            raise RotationError("provider said no (invalid_refresh_token)")
        now = timezone.now()
        expires = now + self.lifetime if self.lifetime else None
        return Issued(token=f"token-{serial}", refresh=f"refresh-{serial}", expires_at=expires, issued_at=now)


@pytest.mark.django_db
def test_first_run_stores_the_environment_token_and_keeps_it_while_fresh() -> None:
    rotator = CountingRotator()
    result = token_rotate(rotator)
    assert (result.ok, result.action, rotator.calls) == (True, "kept", 0)
    assert credential_tokens(Credential.objects.get()) == (ENV_TOKEN, "env-refresh")
    assert AuditEvent.objects.filter(action="token.store", target="test").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("issued_ago", "expires_in", "due"),
    [
        (timedelta(days=61), None, "older than 60 days"),
        (timedelta(hours=10), timedelta(hours=2), "near expiry"),
        (timedelta(hours=13), -timedelta(hours=1), "expired"),
        (timedelta(days=1), timedelta(days=30), ""),
    ],
)
def test_a_token_is_rotated_when_old_or_near_expiry(
    issued_ago: timedelta, expires_in: timedelta | None, due: str
) -> None:
    now = timezone.now()
    stored(ENV_TOKEN, issued_at=now - issued_ago, expires_at=now + expires_in if expires_in else None)
    rotator = CountingRotator()
    result = token_rotate(rotator)
    vault_forget()
    if due:
        assert (result.action, rotator.calls) == (f"rotated ({due})", 1)
        assert current_token("test", fallback=ENV_TOKEN) == "token-1"
        event = AuditEvent.objects.get(action="token.rotate")
        assert event.detail["ok"] is True and event.detail["reason"] == due
        assert "token-1" not in str(event.detail) and "refresh-1" not in str(event.detail)
    else:
        assert (result.action, rotator.calls) == ("kept", 0)
        assert current_token("test", fallback=ENV_TOKEN) == ENV_TOKEN


@pytest.mark.django_db
def test_force_rotates_a_fresh_token() -> None:
    stored(ENV_TOKEN)
    rotator = CountingRotator()
    assert token_rotate(rotator, force=True).action == "rotated (forced)"
    assert rotator.calls == 1


@pytest.mark.django_db
def test_dry_run_changes_nothing() -> None:
    rotator = CountingRotator()
    assert token_rotate(rotator, dry_run=True).action == "kept"
    assert not Credential.objects.exists() and not AuditEvent.objects.exists()

    stored(ENV_TOKEN, issued_at=timezone.now() - timedelta(days=90))
    before = list(Credential.objects.values())
    assert token_rotate(rotator, dry_run=True).action == "would rotate (older than 60 days)"
    assert rotator.calls == 0
    assert list(Credential.objects.values()) == before and not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_a_failed_rotation_keeps_the_old_token_and_is_audited() -> None:
    stored(ENV_TOKEN, issued_at=timezone.now() - timedelta(days=90))
    rotator = CountingRotator()
    rotator.fail = True
    result = token_rotate(rotator)
    assert not result.ok and "invalid_refresh_token" in result.action
    assert credential_tokens(Credential.objects.get()) == (ENV_TOKEN, "")
    event = AuditEvent.objects.get(action="token.rotate")
    assert event.detail["ok"] is False


@pytest.mark.django_db
def test_without_a_key_rotation_fails_clearly(settings: Any) -> None:
    settings.ALFRED_VAULT_KEY = []
    result = token_rotate(CountingRotator())
    assert (result.ok, result.action) == (False, "failed: ALFRED_VAULT_KEY is not set")


@pytest.mark.django_db(transaction=True)
def test_two_racing_rotations_spend_the_refresh_token_once() -> None:
    stored(ENV_TOKEN, issued_at=timezone.now() - timedelta(hours=11), expires_at=timezone.now() + timedelta(hours=1))
    Credential.objects.update(refresh_encrypted=encrypt("env-refresh"))
    rotator = CountingRotator(pause=0.5)
    results: list[str] = []

    def run() -> None:
        try:
            results.append(token_rotate(rotator).action)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    assert rotator.calls == 1, f"the refresh token was spent {rotator.calls} times: {rotator.seen}"
    assert sorted(results) == ["kept", "rotated (near expiry)"]
    assert credential_tokens(Credential.objects.get()) == ("token-1", "refresh-1")


def run_command(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_the_beat_schedule_checks_tokens_hourly() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["alfred-rotate-tokens"]
    assert entry["task"] == "alfred.tasks.rotate_tokens"
    assert entry["schedule"] <= 3600

    from settings.celery import app

    app.loader.import_default_modules()
    assert "alfred.tasks.rotate_tokens" in app.tasks
