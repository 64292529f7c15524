"""``manage.py audit_archive [--dry-run]``: the nightly retention run (``alfred.audit_archive``), by hand."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from alfred.audit_archive import audit_archive


class Command(BaseCommand):
    help = (
        "Archive audit events older than ALFRED_AUDIT_RETENTION_DAYS to the 'audit' storage as gzipped JSON "
        "lines, delete archives past ALFRED_AUDIT_ARCHIVE_DAYS and strangers' messages past the retention. "
        "The same code beat runs nightly."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Say what would be done; change nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit_archive(dry_run=options["dry_run"])
        for line in report.lines():
            self.stdout.write(line)
        if report.error:
            raise CommandError(f"audit archive failed: {report.error}")
