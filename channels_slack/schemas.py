"""The parts of Slack's requests Alfred reads, as small typed values.

Three shapes reach ``/slack/events/``: Events API callbacks (JSON ``{"type": "event_callback", "team_id",
"event_id", "event": {…}}``), slash commands (a form: ``team_id``, ``user_id``, ``channel_id``, ``text``,
``response_url``, ``trigger_id``) and interactivity (a form whose ``payload`` is JSON, ``type``
``block_actions`` for a button click). Parsing never raises: a part that is not the shape Slack documents
gives ``None`` (ignored, answered 200, so Slack stops retrying).

Each thing a person did becomes one ``SlackInbound`` with

- ``provider_id``: the inbox's dedupe key. A message's identity is ``team:channel:ts``, not the event id,
  because Slack may deliver one message under several event ids (an ``app_mention`` and a ``message.im``)
  and retries it under the same one: either way the database keeps one row;
- ``conversation_id``: a DM (and a slash command, answered privately) is the member's user id, the same
  conversation a message Alfred starts goes to; a mention in a channel is ``channel/user``, so members
  in one channel keep separate conversations (and separate LLM memory);
- ``reply``: where the answer goes (channel + thread, or the ``response_url`` of a command or of a click on
  an ephemeral message), stored on the row for the sender.
"""

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from alfred.interactive import intent_from_button_id
from channels_slack.channel import MENTION

# Slack's ids are short; longer ones (or NULs) are not Slack's and would fail the whole insert.
MAX_ID = 64
TS = re.compile(r"\d{1,12}\.\d{1,8}")
# A message that opens with a mention ("<@U0LAN0Z89> ping") is addressed to Alfred; the mention is not
# part of what the member asks.
LEADING_MENTIONS = re.compile(rf"^(?:\s*{MENTION.pattern}[\s,:]*)+")


@dataclass(frozen=True)
class SlackInbound:
    team_id: str
    user_id: str
    provider_id: str
    conversation_id: str
    # "text" (a message), "command" (/alfred …) or "interactive" (a button click).
    kind: str
    text: str
    # Where the answer goes: {"channel", "thread_ts", "ts"} and/or {"response_url"}.
    reply: dict[str, str]
    timestamp: datetime | None
    raw: dict[str, Any]
    # The tool call of a clicked button; an empty command asks for "help".
    intent: dict[str, Any] | None = None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _id(value: Any) -> str:
    text = _str(value)
    return text if 0 < len(text) <= MAX_ID and "\x00" not in text else ""


def _ts(value: Any) -> str:
    text = _str(value)
    return text if TS.fullmatch(text) else ""


def timestamp_from(ts: str) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(ts), tz=UTC)
    except (ValueError, OverflowError, OSError):
        return None


def is_direct(channel_id: str, channel_type: str = "") -> bool:
    """A DM with Alfred: ``channel_type`` when Slack sends it, else Slack's "D…" prefix for IM channels."""
    return channel_type == "im" or channel_id.startswith("D")


def conversation_of(*, channel_id: str, user_id: str, direct: bool) -> str:
    return user_id if direct else f"{channel_id}/{user_id}"


def message_text(text: str) -> str:
    """What the member wrote: Slack's three HTML escapes undone, a leading mention of Alfred dropped."""
    return html.unescape(LEADING_MENTIONS.sub("", text, count=1)).strip()


# --- Events API ------------------------------------------------------------------------------------------
ANSWERED_EVENTS = frozenset({"app_mention", "message"})


def message_from_event(body: Any) -> SlackInbound | None:
    """A member's new message to Alfred (a mention, or a DM); None for anything Alfred must not answer:
    bots (Alfred's own messages included), edits, deletions and every other subtype, channel messages
    that do not mention Alfred."""
    body = _dict(body)
    event = _dict(body.get("event"))
    typ = _str(event.get("type"))
    if typ not in ANSWERED_EVENTS or body.get("type") != "event_callback":
        return None
    if "subtype" in event or event.get("bot_id") or event.get("bot_profile") or "edited" in event:
        return None
    channel_id, user_id, ts = _id(event.get("channel")), _id(event.get("user")), _ts(event.get("ts"))
    team_id = _id(body.get("team_id")) or _id(event.get("team"))
    if not (channel_id and user_id and ts and team_id):
        return None
    direct = is_direct(channel_id, _str(event.get("channel_type")))
    # Channel messages reach Alfred as app_mention; a plain "message" there (were it subscribed) is not for it.
    if typ == "message" and not direct:
        return None
    thread_ts = _ts(event.get("thread_ts")) or ts
    return SlackInbound(
        team_id=team_id,
        user_id=user_id,
        provider_id=f"{team_id}:{channel_id}:{ts}",
        conversation_id=conversation_of(channel_id=channel_id, user_id=user_id, direct=direct),
        kind="text",
        text=message_text(_str(event.get("text"))),
        reply={"channel": channel_id, "thread_ts": thread_ts, "ts": ts},
        timestamp=timestamp_from(ts),
        raw={"event_id": _str(body.get("event_id"))[:MAX_ID], "event": event},
    )


# --- slash commands -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SlashCommand:
    team_id: str
    user_id: str
    channel_id: str
    command: str
    text: str
    response_url: str
    trigger_id: str


def command_from(body: Any) -> SlashCommand | None:
    body = _dict(body)
    team_id, user_id, trigger_id = _id(body.get("team_id")), _id(body.get("user_id")), _str(body.get("trigger_id"))
    if not (team_id and user_id and 0 < len(trigger_id) <= 255):
        return None
    return SlashCommand(
        team_id=team_id,
        user_id=user_id,
        channel_id=_id(body.get("channel_id")),
        command=_str(body.get("command")),
        text=html.unescape(_str(body.get("text"))).strip(),
        response_url=_str(body.get("response_url")),
        trigger_id=trigger_id,
    )


def message_from_command(command: SlashCommand, *, intent: dict[str, Any] | None) -> SlackInbound:
    """A command is answered privately through its ``response_url`` (it works in any channel, even one
    Alfred is not in), in the member's own conversation with Alfred."""
    return SlackInbound(
        team_id=command.team_id,
        user_id=command.user_id,
        provider_id=f"{command.team_id}:command:{command.trigger_id}",
        conversation_id=command.user_id,
        kind="command",
        text=command.text,
        reply={"response_url": command.response_url},
        timestamp=None,
        raw={"command": command.command, "channel_id": command.channel_id, "text": command.text},
        intent=intent,
    )


# --- interactivity ----------------------------------------------------------------------------------------
def clicks_from(payload: Any) -> list[SlackInbound]:
    """Each clicked button of a ``block_actions`` payload whose value is a tool call (a button Alfred made,
    ``alfred.interactive.button_id``); other payloads and other buttons give nothing."""
    payload = _dict(payload)
    if payload.get("type") != "block_actions":
        return []
    team_id = _id(_dict(payload.get("team")).get("id"))
    user_id = _id(_dict(payload.get("user")).get("id"))
    if not (team_id and user_id):
        return []
    container = _dict(payload.get("container"))
    message = _dict(payload.get("message"))
    channel_id = _id(_dict(payload.get("channel")).get("id")) or _id(container.get("channel_id"))
    message_ts = _ts(message.get("ts")) or _ts(container.get("message_ts"))
    reply: dict[str, str] = {}
    if channel_id and message_ts and container.get("type") == "message" and not container.get("is_ephemeral"):
        reply = {"channel": channel_id, "thread_ts": _ts(message.get("thread_ts")) or message_ts}
    elif _str(payload.get("response_url")):
        # An ephemeral message (a command's answer) has no thread to reply in; its response_url does.
        reply = {"response_url": _str(payload["response_url"])}
    else:
        return []
    # A click with no channel (App Home) is answered privately, like a DM.
    direct = is_direct(channel_id) or not channel_id
    clicks = []
    for action in payload.get("actions") or []:
        action = _dict(action)
        intent = intent_from_button_id(_str(action.get("value")))
        action_ts = _ts(action.get("action_ts"))
        if intent is None or not action_ts:
            continue
        clicks.append(
            SlackInbound(
                team_id=team_id,
                user_id=user_id,
                provider_id=f"{team_id}:click:{channel_id}:{action_ts}:{_id(action.get('action_id'))}",
                conversation_id=conversation_of(channel_id=channel_id, user_id=user_id, direct=direct),
                kind="interactive",
                text=_str(_dict(action.get("text")).get("text")),
                reply=reply,
                timestamp=timestamp_from(action_ts),
                raw={"action": action, "container": container},
                intent=intent,
            )
        )
    return clicks
