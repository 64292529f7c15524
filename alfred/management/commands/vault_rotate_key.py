"""Re-encrypt every stored token with the first key of ALFRED_VAULT_KEY (README "Credentials")."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from alfred.audit import audit_record
from alfred.vault import VaultError, credentials_reencrypt


class Command(BaseCommand):
    help = (
        "Re-encrypt the stored provider tokens with the first key of ALFRED_VAULT_KEY. Put the new key first, "
        "keep the old one after it, run this, then remove the old key."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            done = credentials_reencrypt()
        except VaultError as exc:
            raise CommandError(f"{exc}; nothing was changed") from None
        audit_record("vault.rekey", actor="operator", rows=done)
        self.stdout.write(f"{done} stored token(s) re-encrypted with the first key; the older keys can go now.")
