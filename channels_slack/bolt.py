"""The bolt ``App`` behind ``/slack/events/``, built lazily from settings, never at import time.

bolt verifies every request (HMAC over ``v0:{timestamp}:{body}`` with the signing secret, timestamps older
than five minutes refused: 401), answers ``url_verification`` (only once verified) and ``ssl_check``, and
routes to the listeners below. Listeners only record and acknowledge: ``process_before_response`` runs them
in the request thread, as the Django adapter needs (no thread left holding a database connection), and the
work itself is queued for the worker by the core inbox, so Slack gets its answer well inside 3 seconds.

slack_bolt is imported by the first request of the web process, not by settings, models or ``ready()``:
the worker and beat never pay for it.
"""

import logging
import re
import traceback
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings

from alfred.vault import current_token
from channels_slack.services import click_record, command_record, event_record

if TYPE_CHECKING:
    from slack_bolt import Ack, App
    from slack_bolt.adapter.django import SlackRequestHandler

COMMAND = "/alfred"
EVERYTHING = re.compile(".*")

# bolt logs the body of a refused request at info level; a body nobody signed is not worth a log line (and
# could fill the log), so bolt's own logger speaks from warning up.
bolt_logger = logging.getLogger("channels_slack.bolt")
bolt_logger.setLevel(logging.WARNING)


def request_handler() -> "SlackRequestHandler":
    """The process's handler for the current settings (a new one when tests change the secret or the base)."""
    token = current_token("slack", fallback=settings.SLACK_BOT_TOKEN)
    return _handler(settings.SLACK_SIGNING_SECRET, token, settings.SLACK_API_BASE)


def get_app() -> "App":
    """The process's bolt ``App`` for the current settings."""
    return request_handler().app


@lru_cache(maxsize=4)
def _handler(signing_secret: str, token: str, api_base: str) -> "SlackRequestHandler":
    from slack_bolt.adapter.django import SlackRequestHandler

    return SlackRequestHandler(app=build_app(signing_secret=signing_secret, token=token, api_base=api_base))


def build_app(*, signing_secret: str, token: str, api_base: str) -> "App":
    from slack_bolt import App, BoltResponse
    from slack_bolt.authorization import AuthorizeResult
    from slack_sdk import WebClient

    def authorize(enterprise_id: str | None, team_id: str | None, user_id: str | None) -> AuthorizeResult:
        # One workspace, one token from settings: no auth.test round trip to Slack on a webhook. Requests
        # from other teams pass here and are ignored by the services (team_ours), answered 200 with nothing.
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, user_id=user_id, bot_token=token or None)

    app = App(
        logger=bolt_logger,
        signing_secret=signing_secret,
        # The web process never calls Slack, but bolt builds a client anyway: point it at our base, no retries.
        client=WebClient(base_url=api_base, token=token or None, retry_handlers=[]),
        authorize=authorize,
        process_before_response=True,
    )
    app.command(COMMAND)(on_command)
    app.event("app_mention")(on_event)
    app.event("message")(on_event)
    app.action(EVERYTHING)(on_action)
    # Every other event, shortcut, view or option request is acknowledged and ignored: Slack stops retrying.
    app.event(EVERYTHING)(acknowledge)
    app.shortcut(EVERYTHING)(acknowledge)
    app.view(EVERYTHING)(acknowledge)
    app.options(EVERYTHING)(acknowledge_options)

    def on_error(error: Exception) -> "BoltResponse | None":
        if isinstance(error, SHAPE_ERRORS) and not raised_in_alfred(error):
            # bolt's own middleware reading a signed body of the wrong shape (a list where Slack sends an
            # object): the sender's fault, not ours. A 400 stops the retries; a 500 would bring them back.
            bolt_logger.warning("slack request of an unexpected shape refused (%s)", type(error).__name__)
            return BoltResponse(status=400, body="malformed body")
        bolt_logger.error("slack request failed", exc_info=error)
        return None  # bolt's 500: a fault of ours, which Slack's retry may get past

    app.error(on_error)
    return app


# What reading a body of the wrong shape raises: a missing key, a list where a dict was due, a bad number.
SHAPE_ERRORS = (AttributeError, KeyError, IndexError, TypeError, ValueError)
ALFRED_ROOT = Path(__file__).resolve().parent.parent
ALFRED_PACKAGES = tuple(str(ALFRED_ROOT / name) for name in ("alfred", "channels_slack", "work_skills"))


def raised_in_alfred(error: BaseException) -> bool:
    """Whether the innermost frame of ``error`` is Alfred's code (a bug to see as a 500), not bolt's."""
    frames = traceback.extract_tb(error.__traceback__)
    return bool(frames) and frames[-1].filename.startswith(ALFRED_PACKAGES)


def on_command(ack: "Ack", body: dict[str, Any]) -> None:
    # Recorded before the acknowledgement: if the database is down, bolt answers 500 and the member sees it.
    ack(command_record(body=body))


def on_event(ack: "Ack", body: dict[str, Any]) -> None:
    # A failure here is a 5xx and Slack retries the event; the retry is deduped by the database.
    event_record(body=body)
    ack()


def on_action(ack: "Ack", body: dict[str, Any]) -> None:
    click_record(payload=body)
    ack()


def acknowledge(ack: "Ack") -> None:
    ack()


def acknowledge_options(ack: "Ack") -> None:
    ack(options=[])
