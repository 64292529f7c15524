"""The Slack channel, as the core sees it."""

import re
from collections.abc import Sequence

from alfred.channels import ChannelDescription, SendPolicy

# A Slack user id as Slack sends it: "U…" (or "W…" for Enterprise Grid users), upper-case letters and digits.
USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")
# "<@U2147483697>" or "<@U2147483697|steve>": how Slack writes a mention inside message text.
MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


def address_normalise(address: str) -> str:
    """A user id as a person pastes it (" u2147483697", "<@U2147483697>", "@U2147483697") → "U2147483697".
    Anything else is kept as typed, so the admin shows what was entered rather than a guess."""
    address = address.strip()
    mention = MENTION.fullmatch(address)
    if mention:
        return mention[1]
    candidate = address.lstrip("@").upper()
    return candidate if USER_ID.fullmatch(candidate) else address


def proactive_address(addresses: Sequence[str]) -> str | None:
    """A message Alfred starts goes as a DM: ``chat.postMessage`` to a user id opens the app's DM with them."""
    return next((address for address in addresses if USER_ID.fullmatch(address)), None)


# Slack's error strings (``{"ok": false, "error": …}``) worth another try later: rate limits and Slack's own
# temporary failures (HTTP 429/5xx arrive as these codes or as "http_<status>").
TRANSIENT_CODES = frozenset(
    {
        "ratelimited",
        "rate_limited",
        "service_unavailable",
        "internal_error",
        "fatal_error",
        "request_timeout",
        "http_429",
        "http_500",
        "http_502",
        "http_503",
        "http_504",
    }
)
# The token no longer works: a person must install the app again or replace SLACK_BOT_TOKEN.
ALERT_CODES = frozenset({"invalid_auth", "token_revoked", "account_inactive", "not_authed", "token_expired"})

SLACK = ChannelDescription(
    name="slack",
    label="Slack",
    sender="channels_slack.sender.SlackSender",
    urls="channels_slack.urls",
    address_help="The member's Slack user id, e.g. U2147483697 (profile → ⋮ → Copy member ID).",
    normalise_address=address_normalise,
    proactive_address=proactive_address,
    send_policy=SendPolicy(
        transient_codes=TRANSIENT_CODES,
        # Never retried even if Slack answered 5xx with them: they mean the request itself is wrong.
        permanent_codes=ALERT_CODES,
        alert_codes=ALERT_CODES,
        # Slack's rate limits are per minute per method: 2, 4, 8, 16… seconds, at most 5 minutes.
        backoff_base=2.0,
        backoff_cap=300.0,
    ),
    # SLACK_TEAM_ID too: without it every request would be ignored, a deployment that looks up but never answers.
    required_settings=("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_TEAM_ID"),
    setup_section="Connect Slack",
    rotator="channels_slack.rotate.SlackTokenRotator",
    # The Web API (and token rotation); response_url answers go to Slack's hooks host. The Socket Mode WebSocket
    # host is admitted when apps.connections.open names one under the API host's domain (channels_slack.socket).
    egress_settings=("SLACK_API_BASE",),
    egress_hosts=("hooks.slack.com",),
    env_vars=(
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_TEAM_ID",
        "SLACK_API_BASE",
        "SLACK_API_TIMEOUT",
        "SLACK_ACK_REACTION",
        "SLACK_CLIENT_ID",
        "SLACK_CLIENT_SECRET",
        "SLACK_REFRESH_TOKEN",
        "SLACK_APP_TOKEN",
    ),
)
CHANNEL = SLACK
