"""``manage.py egress_check HOST…``: whether this instance's egress guard admits each host, and why."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from alfred import egress


class Command(BaseCommand):
    help = (
        "Say for each HOST (a name or an address) whether this process's egress guard admits it, and why; "
        "--list prints every host the configuration admits. Exit status 1 when one is refused."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("hosts", nargs="*", metavar="HOST")
        parser.add_argument("--list", action="store_true", help="print the admitted hosts")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            for host in sorted(egress.admitted_hosts()):
                self.stdout.write(host)
        refused = False
        for host in options["hosts"]:
            admitted, why = egress.decision(host)
            refused = refused or not admitted
            self.stdout.write(f"{host}: {'admitted' if admitted else 'refused'} ({why})")
        if not egress.installed():
            self.stdout.write("note: the guard is not installed in this process (it is in every entry point)")
        elif not egress.checking():
            self.stdout.write("note: the guard is off in this process (ALFRED_EGRESS_GUARD=0)")
        if refused:
            raise SystemExit(1)
