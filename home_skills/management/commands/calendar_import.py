"""``manage.py calendar_import``: read biz's busy blocks now (``home_skills.bridge``), as beat does nightly."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from home_skills.bridge import bridge_age, calendar_import


class Command(BaseCommand):
    help = (
        "Fetch the calendar bridge's signed busy-blocks document, verify it with ALFRED_BRIDGE_PUBLIC_KEY and "
        "store its blocks; a refused document keeps the last good blocks and exits 1."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        report = calendar_import()
        if not report.ok:
            age = bridge_age()
            kept = "none" if age is None else f"{age.total_seconds() / 3600:.0f} hours old"
            raise CommandError(f"calendar import refused: {report.error} (busy blocks kept: {kept})")
        self.stdout.write(
            f"calendar import: {report.blocks} busy block(s), generated {report.generated_at:%Y-%m-%d %H:%M} UTC"
        )
