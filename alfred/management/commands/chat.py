"""Talk to Alfred in the terminal, through the same inbox → task → brain → outbox path as the webhooks."""

import json
import sys
from io import StringIO
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from alfred.console import console_exchange, member_for_console
from alfred.models import Member

NOT_MIGRATED = (
    'The database has no tables yet: run "python manage.py migrate" (or "make chat", which migrates and seeds).'
)


class Command(BaseCommand):
    help = "Chat with Alfred. With a message: one reply and exit. Without: an interactive prompt (Ctrl-D leaves)."
    # Only Alfred's own checks, which manage.py runs at boot: the full set loads every URL module and costs a
    # second at each start.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("message", nargs="?", help="One message to send; omit for an interactive chat.")
        parser.add_argument(
            "--sender", help="Member name or any of their addresses, e.g. a phone number (default: the first admin)."
        )
        parser.add_argument(
            "--json", action="store_true", help='Print one line: {"reply", "path", "actions"} (one-message mode).'
        )
        parser.add_argument("--timeout", type=float, default=30.0, help="Seconds to wait for a worker's reply.")
        parser.add_argument(
            "--setup", action="store_true", help="Migrate and seed the demo data first (what `make chat` does)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["setup"]:
            # One process for set-up and chat, so a second `make chat` reaches the prompt in about a second.
            call_command("migrate", verbosity=0, interactive=False)
            call_command("seed_demo", stdout=StringIO())
        # A database that was never migrated would fail at the first query with a traceback about a table.
        if Member._meta.db_table not in connection.introspection.table_names():
            raise CommandError(NOT_MIGRATED)
        sender = options["sender"]
        if options["message"] is not None:
            exchange = console_exchange(options["message"], sender=sender, timeout=options["timeout"])
            if options["json"]:
                self.stdout.write(json.dumps(exchange.as_json(), ensure_ascii=False))
            else:
                self.stdout.write(exchange.reply)
            return
        if options["json"]:
            raise CommandError("--json needs a message.")
        self.interactive(sender, options["timeout"])

    def interactive(self, sender: str | None, timeout: float) -> None:
        try:
            import readline  # noqa: F401  (gives input() history and line editing)
        except ImportError:
            pass  # Python builds without readline (Windows, minimal images) still chat, without line editing
        member = member_for_console(sender)
        who = member.name if member else (sender or "nobody")
        title = f"Alfred · {settings.INSTANCE.title()}"
        self.stdout.write(f"{title} — you are {who}. Type “help”; Ctrl-D to leave.")
        if member is None:
            self.stdout.write(self.style.WARNING("No such member: Alfred will treat you as a stranger."))
        while True:
            try:
                line = input(f"{who}> ")
            except (EOFError, KeyboardInterrupt):
                self.stdout.write("")
                return
            if not line.strip():
                continue
            exchange = console_exchange(line, sender=sender, timeout=timeout)
            self.stdout.write(f"alfred ({exchange.path or exchange.status})> {exchange.reply}")
            sys.stdout.flush()
