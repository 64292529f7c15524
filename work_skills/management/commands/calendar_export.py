"""``manage.py calendar_export``: write the calendar bridge's document now (``work_skills.calendar``)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from work_skills.calendar import CalendarError, calendar_export


class Command(BaseCommand):
    help = (
        "Export the next ALFRED_CALENDAR_EXPORT_DAYS days of busy blocks (times only) from the ICS feeds and "
        "the admin's events, signed with ALFRED_BRIDGE_SIGNING_KEY, to the bridge bucket or ALFRED_BRIDGE_DIR."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = calendar_export()
        except CalendarError as exc:
            raise CommandError(f"calendar export failed: {exc}") from exc
        self.stdout.write(f"calendar export: {report.blocks} busy block(s) written to {report.name}")
