"""``manage.py admin_totp <username> [--remove]``: give an admin user an authenticator (TOTP) device, printing
the ``otpauth://`` link once for the user's app (scan it as a QR code or type the key), or remove it."""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "Set up (or remove) the authenticator code an admin user gives with the password."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--remove", action="store_true", help="remove the user's devices (password only again)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = get_user_model().objects.get(username=options["username"])
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"No user {options['username']!r}.") from exc
        removed, _details = TOTPDevice.objects.filter(user=user).delete()
        if options["remove"]:
            self.stdout.write(
                f"{user.username}: {removed} authenticator device(s) removed; the password alone logs in."
            )
            return
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
        # Printed once, to the operator's terminal (never logged, never shown in the admin): the user's app
        # needs it, and a new run replaces the device.
        self.stdout.write(f"{user.username}: add this to the authenticator app (as a QR code or by hand):")
        self.stdout.write(device.config_url)
        self.stdout.write("From now on the admin asks for its six-digit code with the password.")
