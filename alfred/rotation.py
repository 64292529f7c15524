"""Token rotation, provider-neutral: ``manage.py rotate_tokens`` and the beat task call ``tokens_rotate``.

Each channel app that holds a rotating token names its ``TokenRotator`` in its channel description
(``ChannelDescription.rotator``); the rotator knows how to read the environment's token, ask the
provider about it and get a new one. What is decided here, the same for every provider:

- **one refresh at a time**: the provider's row is locked (``SELECT … FOR UPDATE``) from reading the token
  to storing its successor, so web, worker and a manual run never spend the same refresh token twice (Slack
  then answers ``invalid_refresh_token`` and the app is locked out: slack-bolt issue 663). Whoever waited
  for the lock reads the fresh row and finds nothing due;
- **when**: near expiry (a quarter of its life left), past the rotator's age policy, or ``--force``;
- **a failure changes nothing**: the stored token stays, the failure is audited and the command exits 1;
- **no value anywhere**: results, audit events and log lines carry names, ages and reasons only.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery import shared_task
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from alfred.audit import audit_record
from alfred.channels import channel_descriptions
from alfred.models import Credential
from alfred.vault import VaultError, credential_tokens, encrypt, fingerprint, vault_configured, vault_forget

logger = logging.getLogger(__name__)


class RotationError(Exception):
    """The provider refused or could not be reached. The text names the cause, never a token or secret."""


@dataclass(frozen=True)
class Issued:
    """A token as it comes from the environment or the provider."""

    token: str
    refresh: str = ""
    expires_at: datetime | None = None
    issued_at: datetime | None = None


@dataclass(frozen=True)
class Inspection:
    """What the provider says about a token it issued."""

    valid: bool
    expires_at: datetime | None = None
    issued_at: datetime | None = None


@dataclass
class StoredToken:
    provider: str
    token: str
    refresh: str
    issued_at: datetime
    expires_at: datetime | None
    rotated_at: datetime | None


class TokenRotator:
    """One provider's rotation. Subclasses set ``provider`` and implement ``seed`` and ``rotate``."""

    # The name the operator passes to --provider and the row's key.
    provider: str = ""
    # Short-lived tokens whose expiry the environment does not tell (Slack's) are refreshed at once.
    refresh_when_expiry_unknown: bool = False

    def problem(self) -> str:
        """Why this instance cannot rotate the token ("" = it can): a missing setting, rotation off."""
        return ""

    def seed(self) -> Issued | None:
        """The environment's token (first boot, or the operator replaced it); None when there is none."""
        raise NotImplementedError

    def max_age(self) -> timedelta | None:
        """A token older than this is replaced even far from its expiry; None = no age policy."""
        return None

    def inspect(self, stored: StoredToken) -> Inspection | None:
        """Ask the provider about the token (its expiry); None = the provider has no such call."""
        return None

    def rotate(self, stored: StoredToken) -> Issued:
        """A new token for the stored one; raises ``RotationError``."""
        raise NotImplementedError

    def due(self, stored: StoredToken, now: datetime) -> str:
        """Why the token must be replaced now ("" = it need not)."""
        if stored.expires_at is not None:
            if stored.expires_at <= now:
                return "expired"
            life = max(stored.expires_at - stored.issued_at, timedelta(0))
            if stored.expires_at - now <= life / 4:
                return "near expiry"
        elif self.refresh_when_expiry_unknown:
            return "expiry unknown"
        max_age = self.max_age()
        if max_age is not None and now - stored.issued_at >= max_age:
            return f"older than {max_age.days} days"
        return ""


@dataclass
class RotationResult:
    provider: str
    action: str
    ok: bool = True
    issued_at: datetime | None = None
    expires_at: datetime | None = None
    never_expires: bool = False


def rotators() -> list[TokenRotator]:
    """This instance's rotators, in the order its channels are listed."""
    found: list[TokenRotator] = []
    for description in channel_descriptions():
        if description.rotator:
            rotator = import_string(description.rotator)()
            if not isinstance(rotator, TokenRotator):
                raise TypeError(f"{description.rotator} is not a TokenRotator")
            found.append(rotator)
    return found


def tokens_rotate(
    *, providers: list[str] | None = None, dry_run: bool = False, force: bool = False, actor: str = "operator"
) -> list[RotationResult]:
    """Check (and when due, rotate) each provider's token; ``providers=None`` = all of this instance's."""
    return [
        token_rotate(rotator, dry_run=dry_run, force=force, actor=actor)
        for rotator in rotators()
        if providers is None or rotator.provider in providers
    ]


def token_rotate(
    rotator: TokenRotator, *, dry_run: bool = False, force: bool = False, actor: str = "operator"
) -> RotationResult:
    provider = rotator.provider
    problem = rotator.problem()
    if problem:
        return RotationResult(provider, f"skipped: {problem}")
    if not vault_configured():
        return RotationResult(provider, "failed: ALFRED_VAULT_KEY is not set", ok=False)
    try:
        with transaction.atomic():
            result = _rotate_locked(rotator, dry_run=dry_run, force=force, actor=actor)
            if dry_run:
                # Everything the check wrote (a first row, the expiry it learnt) is undone.
                transaction.set_rollback(True)
    except VaultError as exc:
        logger.error("token rotation for %s: %s", provider, exc)
        return RotationResult(provider, f"failed: {exc}", ok=False)
    if result.action.startswith("rotated"):
        vault_forget()
    return result


def _rotate_locked(rotator: TokenRotator, *, dry_run: bool, force: bool, actor: str) -> RotationResult:
    provider = rotator.provider
    now = timezone.now()
    row = _locked_row(rotator, now=now, actor=actor)
    if row is None:
        return RotationResult(provider, "failed: no token in the environment or the store", ok=False)
    token, refresh = credential_tokens(row)
    stored = StoredToken(provider, token, refresh, row.issued_at, row.expires_at, row.rotated_at)
    try:
        inspection = rotator.inspect(stored)
    except RotationError as exc:
        return _failed(row, stored, f"check failed: {exc}", actor=actor, dry_run=dry_run, now=now)
    never_expires = False
    if inspection is not None:
        stored.expires_at = row.expires_at = inspection.expires_at
        never_expires = inspection.expires_at is None
        if inspection.issued_at is not None:
            stored.issued_at = row.issued_at = inspection.issued_at
        if not inspection.valid:
            invalid = "the provider says the token is not valid: replace it"
            return _failed(row, stored, invalid, actor=actor, dry_run=dry_run, now=now)
    reason = "forced" if force else rotator.due(stored, now)
    result = RotationResult(
        provider, "kept", issued_at=stored.issued_at, expires_at=stored.expires_at, never_expires=never_expires
    )
    if not reason:
        row.checked_at = now
        row.save(update_fields=["issued_at", "expires_at", "checked_at"])
        return result
    if dry_run:
        result.action = f"would rotate ({reason})"
        return result
    try:
        issued = rotator.rotate(stored)
    except RotationError as exc:
        return _failed(row, stored, f"rotation failed ({reason}): {exc}", actor=actor, dry_run=dry_run, now=now)
    row.token_encrypted = encrypt(issued.token)
    # A provider that does not rotate refresh tokens keeps the one it had.
    row.refresh_encrypted = encrypt(issued.refresh) if issued.refresh else row.refresh_encrypted
    row.issued_at = issued.issued_at or now
    row.expires_at = issued.expires_at
    row.rotated_at = row.checked_at = now
    row.save()
    audit_record(
        "token.rotate",
        actor=actor,
        target=provider,
        ok=True,
        reason=reason,
        expires_at=row.expires_at.isoformat() if row.expires_at else None,
    )
    logger.info("token rotated for %s (%s)", provider, reason)
    return RotationResult(provider, f"rotated ({reason})", issued_at=row.issued_at, expires_at=row.expires_at)


def _locked_row(rotator: TokenRotator, *, now: datetime, actor: str) -> Credential | None:
    """The provider's row, locked until the transaction ends; stored from the environment on first boot and
    replaced by the environment's token when the operator changed it there."""
    seed = rotator.seed()
    if seed is not None:
        _, created = Credential.objects.get_or_create(
            provider=rotator.provider,
            defaults={
                "token_encrypted": encrypt(seed.token),
                "refresh_encrypted": encrypt(seed.refresh),
                "source_fingerprint": fingerprint(seed.token),
                "issued_at": seed.issued_at or now,
                "expires_at": seed.expires_at,
            },
        )
        if created:
            audit_record("token.store", actor=actor, target=rotator.provider, source="environment")
    row = Credential.objects.select_for_update().filter(provider=rotator.provider).first()
    if row is not None and seed is not None and row.source_fingerprint != fingerprint(seed.token):
        row.token_encrypted = encrypt(seed.token)
        row.refresh_encrypted = encrypt(seed.refresh)
        row.source_fingerprint = fingerprint(seed.token)
        row.issued_at = seed.issued_at or now
        row.expires_at = seed.expires_at
        row.rotated_at = None
        row.save()
        audit_record("token.store", actor=actor, target=rotator.provider, source="environment (replaced)")
    return row


def _failed(
    row: Credential, stored: StoredToken, reason: str, *, actor: str, dry_run: bool, now: datetime
) -> RotationResult:
    """The stored token stays as it was; the attempt is recorded and logged for the operator."""
    row.checked_at = now
    row.save(update_fields=["issued_at", "expires_at", "checked_at"])
    if not dry_run:
        audit_record("token.rotate", actor=actor, target=stored.provider, ok=False, reason=reason[:200])
        logger.error("token rotation for %s: %s", stored.provider, reason)
    return RotationResult(
        stored.provider, f"failed: {reason}", ok=False, issued_at=stored.issued_at, expires_at=stored.expires_at
    )


@shared_task(name="alfred.tasks.rotate_tokens", acks_late=True)
def rotate_tokens_task() -> None:
    """Beat's check. Not retried by Celery: the next run comes within the hour, and a failure is logged."""
    for result in tokens_rotate(actor="beat"):
        if not result.ok:
            logger.error("rotate_tokens (beat): %s %s", result.provider, result.action)
