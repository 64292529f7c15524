"""The slack_sdk clients, built lazily in the process that sends (the worker), never in the web process."""

import logging
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.conf import settings

from alfred.vault import current_token

if TYPE_CHECKING:
    from slack_sdk import WebClient
    from slack_sdk.webhook import WebhookClient

# slack_sdk logs each request's headers (the bot token among them) at debug level: its logger speaks from
# warning up, whatever LOG_LEVEL says.
sdk_logger = logging.getLogger("channels_slack.sdk")
sdk_logger.setLevel(logging.WARNING)
# Slack's response_url host; anything else in a response_url is not Slack's and is never posted to.
HOOKS_ORIGIN = "https://hooks.slack.com"


def slack_client() -> "WebClient":
    """The process's Web API client for the current token (a new one after a rotation, or when tests change
    the base or the token)."""
    token = current_token("slack", fallback=settings.SLACK_BOT_TOKEN)
    return _client(token, settings.SLACK_API_BASE, float(settings.SLACK_API_TIMEOUT))


@lru_cache(maxsize=4)
def _client(token: str, base: str, timeout: float) -> "WebClient":
    from slack_sdk import WebClient

    # retry_handlers=[]: the SDK would retry a connection error on its own (by default) and rate limits (if
    # asked); the outbox decides about every retry, with the row claimed, so a message never goes twice.
    return WebClient(token=token, base_url=base, timeout=int(max(timeout, 1)), retry_handlers=[], logger=sdk_logger)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def response_url_allowed(url: str) -> bool:
    """Slack's hooks host, or the configured API base's host (a loopback stand-in in tests). The URL came in a
    signed request, but it is posted to with member data: no other host, whatever the request says."""
    return _origin(url) in {HOOKS_ORIGIN, _origin(settings.SLACK_API_BASE)} and "@" not in urlsplit(url).netloc


def webhook_client(url: str) -> "WebhookClient":
    from slack_sdk.webhook import WebhookClient

    timeout = int(max(float(settings.SLACK_API_TIMEOUT), 1))
    return WebhookClient(url, timeout=timeout, retry_handlers=[], logger=sdk_logger)
