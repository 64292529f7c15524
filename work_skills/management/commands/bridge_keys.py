"""``manage.py bridge_keys``: a new Ed25519 key pair for the calendar bridge, as two env-file lines."""

from typing import Any

from django.core.management.base import BaseCommand

from alfred.bridge import key_pair_generate


class Command(BaseCommand):
    help = (
        "Print a new key pair: ALFRED_BRIDGE_SIGNING_KEY=… (a secret, for biz) and ALFRED_BRIDGE_PUBLIC_KEY=… "
        "(for home). Nothing is stored."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        private, public = key_pair_generate()
        self.stdout.write(f"ALFRED_BRIDGE_SIGNING_KEY={private}")
        self.stdout.write(f"ALFRED_BRIDGE_PUBLIC_KEY={public}")
