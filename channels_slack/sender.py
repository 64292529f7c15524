"""Sends outbox rows to Slack (slack_sdk), and turns Slack's errors into retry decisions.

``alfred.outbox.outbound_send`` has already claimed the row (so two workers never send it) and records the id
returned here. What is decided here:

- **where it goes**: a reply goes where the member wrote (recorded by the endpoint on the inbound row): in
  the message's thread (``chat.postMessage`` with ``thread_ts``), or through the ``response_url`` of a slash
  command or of a click on an ephemeral message; a message Alfred starts goes to the member's user id, which
  Slack delivers as a DM from the app;
- **what goes out**: the text with Slack's three escapes (so a name like ``<!channel>`` in data never pings
  anyone), split under the 3,000 characters of a section block; buttons as an ``actions`` block whose
  ``value`` is the tool call (``alfred.interactive.button_id``); an acknowledged change as a ✅ reaction on
  the member's message (``reactions.add``);
- **whether a failure is retried**: rate limits (``ratelimited``, HTTP 429, with ``Retry-After``), Slack's
  5xx and connections that never got through are retried by the outbox; a revoked or invalid token
  (``invalid_auth``, ``token_revoked``, ``account_inactive``) fails with an error-level log line for the
  operator; a send whose answer never came (read timeout, connection dropped after the request went out)
  may have reached Slack and is *not* retried: Slack has no idempotency key, and a duplicate is worse than a
  gap. The SDK's own retries are off (``channels_slack.client``).
"""

import http.client
import logging
import re
from typing import TYPE_CHECKING, Any
from urllib.error import URLError

from django.conf import settings

from alfred.channels import Sender, SendError, transport_send_error
from alfred.content import OutboundContent
from alfred.interactive import button_id
from alfred.models import Message
from channels_slack.channel import ALERT_CODES, SLACK
from channels_slack.client import response_url_allowed, slack_client, webhook_client

if TYPE_CHECKING:
    from slack_sdk.errors import SlackApiError

logger = logging.getLogger(__name__)

# A section block's text holds 3,000 characters; every part fits one, so any part can carry the buttons.
MAX_TEXT = 3000
# Slack: an actions block holds 25 elements, a button's text 75 characters, its value 2,000.
MAX_BUTTONS = 25
MAX_BUTTON_TITLE = 75
MAX_BUTTON_VALUE = 2000
# Block Kit: a section holds at most 10 fields of at most 2,000 characters each.
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
# A response_url takes at most five messages in its 30 minutes.
MAX_RESPONSE_PARTS = 5
ACK_REACTION = "white_check_mark"
# What Slack's error codes look like ("ratelimited", "invalid_auth").
ERROR_CODE = re.compile(r"[a-z0-9_]{1,32}")
ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"))


def escaped(text: str) -> str:
    """Slack's mrkdwn reads ``<…>`` as links and mentions; Alfred's text is shown as written."""
    for raw, escape in ESCAPES:
        text = text.replace(raw, escape)
    return text


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Parts of at most ``limit`` characters, cut at the last paragraph, line or space break in the second
    half of each part (mid-word only when there is none)."""
    parts: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[: limit + 1]
        cut = 0
        for sep in ("\n\n", "\n", " "):
            position = window.rfind(sep, limit // 2)
            if position > 0:
                cut = position
                break
        if cut <= 0:
            cut = limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts


def retry_after(headers: Any) -> float | None:
    value = ""
    if hasattr(headers, "get"):
        value = headers.get("Retry-After") or headers.get("retry-after") or ""
    try:
        return min(max(float(value), 0.0), 600.0)
    except (TypeError, ValueError):
        return None


def api_error(exc: "SlackApiError") -> SendError:
    """Slack's ``{"ok": false, "error": …}`` (or an HTTP error) → retry or not. Unknown codes are permanent
    unless the HTTP status says otherwise: retrying a request Slack refuses only burns the rate limit."""
    response = exc.response
    status = int(response.status_code or 0)
    data = response.data if isinstance(response.data, dict) else {}
    # slack_sdk puts a description in "error" when the body was not JSON (a proxy's 5xx page): the HTTP
    # status is the code then.
    error = data.get("error")
    code = error if isinstance(error, str) and ERROR_CODE.fullmatch(error) else f"http_{status}"
    if code in ALERT_CODES:
        return SendError(
            f"Slack refused the bot token ({code}): reinstall the app or replace SLACK_BOT_TOKEN",
            permanent=True,
            code=code,
        )
    transient = SLACK.send_policy.is_transient(code, provider_says_transient=status == 429 or status >= 500)
    return SendError(
        f"Slack error {code} (HTTP {status})",
        permanent=not transient,
        retry_after=retry_after(response.headers) if transient else None,
        code=code,
    )


def network_error(exc: BaseException, message: Message) -> SendError:
    # urllib wraps what fails while connecting and sending the request in URLError: Slack got nothing.
    return transport_send_error("Slack", exc, reached=not isinstance(exc, URLError), message_id=message.pk)


class SlackSender(Sender):
    def send(self, message: Message) -> str:
        from slack_sdk.errors import SlackApiError

        try:
            return _Send(message).run()
        except SendError:
            raise
        except SlackApiError as exc:
            raise api_error(exc) from None
        except (OSError, http.client.HTTPException) as exc:
            raise network_error(exc, message) from None


class _Send:
    def __init__(self, message: Message) -> None:
        self.message = message
        self.content = OutboundContent.from_json(message.content)
        self.raw: dict[str, Any] = dict(message.raw) if isinstance(message.raw, dict) else {}
        self.reply = self.reply_target()

    def reply_target(self) -> dict[str, str]:
        """Where the answer goes, as the endpoint recorded it on the member's message; a message Alfred
        starts goes to the conversation's user id (a DM)."""
        inbound = self.message.reply_to
        if inbound is not None and inbound.channel == SLACK.name and isinstance(inbound.raw, dict):
            reply = inbound.raw.get("reply")
            if isinstance(reply, dict) and reply:
                return {key: str(value) for key, value in reply.items() if isinstance(value, str)}
        # "C…/U…" is a member's conversation in a channel; its messages go to the channel.
        return {"channel": self.message.conversation.external_id.split("/")[0]}

    def note(self, **values: Any) -> None:
        """Record how the row went out (visible in the admin) and, for split texts, which parts are sent."""
        self.raw.update(values)
        Message.objects.filter(pk=self.message.pk).update(raw=self.raw)

    def run(self) -> str:
        if self.content.acknowledge and settings.SLACK_ACK_REACTION and self.reply.get("ts"):
            return self.reaction()
        if self.reply.get("response_url") and not self.reply.get("channel"):
            return self.respond()
        return self.post()

    def parts(self) -> list[str]:
        parts = split_text(escaped(self.message.text))
        if not parts:
            raise SendError("empty message: nothing to send", permanent=True, code="empty")
        return parts

    def blocks(self, text: str) -> list[dict[str, Any]] | None:
        """The text, a card of the facts and the buttons as Block Kit; None when there are neither facts nor
        buttons (plain text is enough)."""
        elements = []
        for index, button in enumerate(self.content.buttons[:MAX_BUTTONS]):
            try:
                value = button_id(button.tool, button.args, max_length=MAX_BUTTON_VALUE)
            except ValueError:
                logger.warning("outbound %s: button for %s left out (value too long)", self.message.pk, button.tool)
                continue
            elements.append(
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": button.title[:MAX_BUTTON_TITLE] or "…", "emoji": True},
                    "action_id": f"alfred-button-{index}",
                    "value": value,
                }
            )
        fields = [
            {"type": "mrkdwn", "text": f"*{escaped(fact.label)}*\n{escaped(fact.value)}"[:MAX_FIELD_TEXT]}
            for fact in self.content.facts[:MAX_FIELDS]
        ]
        if not elements and not fields:
            return None
        blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
        if fields:
            blocks.append({"type": "section", "fields": fields})
        if elements:
            blocks.append({"type": "actions", "elements": elements})
        return blocks

    def post(self) -> str:
        client = slack_client()
        parts = self.parts()
        # A retry after a transient error resumes after the parts Slack already accepted.
        done: list[str] = [str(part_id) for part_id in self.raw.get("sent_parts", [])]
        for index, part in enumerate(parts):
            if index < len(done):
                continue
            blocks = self.blocks(part) if index == len(parts) - 1 else None
            arguments: dict[str, Any] = {"channel": self.reply["channel"], "text": part}
            if self.reply.get("thread_ts"):
                arguments["thread_ts"] = self.reply["thread_ts"]
            if blocks is not None:
                arguments["blocks"] = blocks
            response = client.chat_postMessage(**arguments)
            done.append(f"{response.get('channel') or self.reply['channel']}:{response.get('ts')}")
            if len(parts) > 1:
                self.note(sent_parts=done)
        return done[-1]

    def reaction(self) -> str:
        from slack_sdk.errors import SlackApiError

        try:
            slack_client().reactions_add(channel=self.reply["channel"], timestamp=self.reply["ts"], name=ACK_REACTION)
        except SlackApiError as exc:
            # The ✅ is already there (a retry whose first answer was lost): the acknowledgement is done.
            if not (isinstance(exc.response.data, dict) and exc.response.data.get("error") == "already_reacted"):
                raise
        self.note(sent_as="reaction")
        return f"reaction:{self.message.pk}"

    def respond(self) -> str:
        url = self.reply["response_url"]
        if not response_url_allowed(url):
            raise SendError("the response_url is not Slack's; nothing sent", permanent=True, code="response_url")
        parts = self.parts()
        if len(parts) > MAX_RESPONSE_PARTS:
            parts = [*parts[: MAX_RESPONSE_PARTS - 1], parts[MAX_RESPONSE_PARTS - 1][: MAX_TEXT - 1] + "…"]
        done = int(self.raw.get("sent_parts_count", 0))
        client = webhook_client(url)
        for index, part in enumerate(parts):
            if index < done:
                continue
            blocks = self.blocks(part) if index == len(parts) - 1 else None
            response = client.send(text=part, blocks=blocks, response_type="ephemeral", replace_original=False)
            status = int(response.status_code)
            if status != 200:
                code = (response.body or f"http_{status}").strip()[:32]
                transient = SLACK.send_policy.is_transient(code, provider_says_transient=status == 429 or status >= 500)
                raise SendError(
                    f"Slack refused the response_url message: {code} (HTTP {status})",
                    permanent=not transient,
                    retry_after=retry_after(response.headers) if transient else None,
                    code=code,
                )
            done = index + 1
            if len(parts) > 1:
                self.note(sent_parts_count=done)
        self.note(sent_as="response_url")
        return f"response:{self.message.pk}"
