"""``manage.py slack_socket``: receive Slack's events, commands and clicks over Socket Mode (README "Connect
Slack"). Runs until stopped (SIGTERM/SIGINT: exit 0); a token Slack refuses stops it with exit status 1."""

import logging
import signal
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from channels_slack.socket import SocketModeRunner, SocketModeStopped

logger = logging.getLogger("channels_slack.socket")


class Command(BaseCommand):
    help = "Receive Slack events over Socket Mode (needs SLACK_APP_TOKEN)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-configured",
            action="store_true",
            help="Exit 0 at once when SLACK_APP_TOKEN is not set (how fly/start.sh starts it).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_configured"] and not settings.SLACK_APP_TOKEN:
            logger.info("slack socket mode: off (SLACK_APP_TOKEN is not set)")
            return
        try:
            runner = SocketModeRunner()
        except SocketModeStopped as exc:
            logger.error("slack socket mode refused to start: %s", exc)
            raise CommandError(str(exc), returncode=1) from None

        def stop(signum: int, frame: FrameType | None) -> None:
            logger.info("slack socket mode: stopping (signal %d)", signum)
            runner.shutdown()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            runner.run()
        except SocketModeStopped as exc:
            logger.error("slack socket mode stopped: %s", exc)
            raise CommandError(str(exc), returncode=1) from None
        logger.info("slack socket mode: stopped")
