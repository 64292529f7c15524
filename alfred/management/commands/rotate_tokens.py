"""Check every provider token of this instance and renew those that are due (README "Credentials")."""

from datetime import datetime, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from alfred.rotation import RotationResult, rotators, tokens_rotate

ALL = "all"
COLUMNS = ("provider", "age", "expires in", "action")


def span(delta: timedelta) -> str:
    """A duration as an operator reads it at a glance: "62d 3h", "11h 58m", "4m"."""
    minutes = int(delta.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m"


def expires_in(result: RotationResult, now: datetime) -> str:
    if result.expires_at is None:
        return "never" if result.never_expires else "unknown"
    if result.expires_at <= now:
        return f"expired {span(now - result.expires_at)} ago"
    return span(result.expires_at - now)


def table_rows(results: list[RotationResult], now: datetime) -> list[tuple[str, ...]]:
    return [
        (
            result.provider,
            span(now - result.issued_at) if result.issued_at else "-",
            expires_in(result, now) if result.issued_at else "-",
            result.action,
        )
        for result in results
    ]


class Command(BaseCommand):
    help = (
        "Check the provider tokens (age, expiry) and renew those near expiry or older than "
        "ALFRED_TOKEN_MAX_AGE_DAYS. Prints a table; exits 1 when a check or a renewal failed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Print the table and change nothing.")
        parser.add_argument(
            "--provider", default=ALL, help="One provider's token (meta, slack: those of this instance), or all."
        )
        parser.add_argument("--force", action="store_true", help="Renew even the tokens that are not due.")

    def handle(self, *args: Any, **options: Any) -> None:
        available = [rotator.provider for rotator in rotators()]
        provider = options["provider"]
        if provider != ALL and provider not in available:
            raise CommandError(
                f"No token rotator for {provider!r} in this instance; it has: {', '.join([*available, ALL])}."
            )
        results = tokens_rotate(
            providers=None if provider == ALL else [provider],
            dry_run=options["dry_run"],
            force=options["force"],
            actor="operator",
        )
        rows = [COLUMNS, *table_rows(results, timezone.now())]
        widths = [max(len(row[index]) for row in rows) for index in range(len(COLUMNS) - 1)]
        for row in rows:
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
            self.stdout.write("  ".join([*cells, row[-1]]).rstrip())
        if options["dry_run"]:
            self.stdout.write("dry run: nothing was changed")
        failed = [result.provider for result in results if not result.ok]
        if failed:
            raise CommandError(f"token check failed for {', '.join(failed)}; the stored tokens were kept")
