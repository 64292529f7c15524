"""Sends outbox rows through the WhatsApp Cloud API (pywa), and turns Meta's errors into retry decisions.

``alfred.services.outbound_send`` has already claimed the row (so two workers never send it) and records
the id returned here. What is decided here:

- **what goes out**: a text (split at 4,096 characters on sentence boundaries, the first part quoting the
  member's message), a ✅ reaction for an acknowledged list change, or, for a chore reminder, reply
  buttons while the 24-hour window is open and the approved template otherwise (also after error 131047);
- **whether a failure is retried**: see ``send_error`` and ``network_error``. A send whose answer never
  came (read timeout, dropped connection) may have reached Meta; it is *not* retried, because WhatsApp has
  no idempotency key and a duplicate is worse than a gap. The row is marked failed; if Meta did deliver,
  its status webhook (matched by the tracker Alfred attaches) moves the row on to sent/delivered/read.
"""

import logging
import re
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import httpx
from django.conf import settings
from django.utils import timezone

from alfred.channels import Sender, SendError, transport_send_error
from alfred.content import OutboundContent
from alfred.interactive import button_id
from alfred.models import Conversation, Message
from alfred.vault import current_token
from channels_wa.channel import EXPIRED_AUTH_CODE, WHATSAPP
from channels_wa.client import forget_last_response, last_response, whatsapp_client
from channels_wa.services import tracker_for

if TYPE_CHECKING:
    from pywa import WhatsApp
    from pywa.errors import WhatsAppError

logger = logging.getLogger(__name__)

MAX_TEXT = 4096
MAX_BUTTONS = 3
MAX_BUTTON_TITLE = 20
MAX_INTERACTIVE_BODY = 1024
MAX_TEMPLATE_PARAM = 1000
# Meta caps reply-button ids at 256 characters; a button whose tool call does not fit is left out.
MAX_BUTTON_ID = 256
WINDOW = timedelta(hours=24)
# A send takes time to reach Meta; a window about to close is treated as closed.
WINDOW_MARGIN = timedelta(minutes=5)
ACK_EMOJI = "✅"

OUTSIDE_WINDOW = 131047

# Connection failures before the request left: nothing reached Meta, so trying again cannot duplicate.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.WriteTimeout, httpx.WriteError)
# Boundaries to split long text on, best first: paragraph, line, sentence, word.
BOUNDARIES = (re.compile(r"\n\s*\n"), re.compile(r"\n"), re.compile(r"(?<=[.!?…。])\s+"), re.compile(r"\s+"))


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Parts of at most ``limit`` characters, cut at the best boundary in the second half of each part."""
    parts: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[: limit + 1]
        cut = 0
        for boundary in BOUNDARIES:
            ends = [match for match in boundary.finditer(window) if match.start() >= limit // 2]
            if ends:
                cut = ends[-1].start()
                break
        if cut <= 0:
            cut = limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts


def window_open(conversation: Conversation) -> bool:
    """Free-form messages are allowed only within 24 hours of the member's last message."""
    last = conversation.last_inbound_at
    return last is not None and timezone.now() - last < WINDOW - WINDOW_MARGIN


def templatable(content: OutboundContent) -> bool:
    """A notice may go as the approved template; a reply never does."""
    return content.notice_values is not None


class WhatsAppSender(Sender):
    def send(self, message: Message) -> str:
        from pywa.errors import WhatsAppError

        forget_last_response()
        try:
            return _Send(whatsapp_client(), message).run()
        except SendError:
            raise
        except WhatsAppError as exc:
            raise send_error(exc) from None
        except httpx.TransportError as exc:
            raise network_error(exc, message) from None
        except (KeyError, ValueError, TypeError) as exc:
            refused = unreadable_refusal(last_response())
            if refused is not None:
                raise refused from None
            # pywa refused the request (a recipient it cannot address) or could not read Meta's answer; in the
            # second case the message may have gone out, so neither is retried.
            logger.warning(
                "outbound %s: unexpected error around the WhatsApp call (%s)", message.pk, type(exc).__name__
            )
            raise SendError(
                f"unexpected error around the WhatsApp call ({type(exc).__name__}); not retried",
                permanent=True,
                code="unexpected",
            ) from None


class _Send:
    def __init__(self, client: "WhatsApp", message: Message) -> None:
        self.client = client
        self.message = message
        self.content = OutboundContent.from_json(message.content)
        self.raw: dict[str, Any] = dict(message.raw) if isinstance(message.raw, dict) else {}
        self.to = message.conversation.external_id
        self.tracker = tracker_for(message)

    def run(self) -> str:
        from pywa.errors import WhatsAppError

        if templatable(self.content):
            if self.raw.get("force_template") or not window_open(self.message.conversation):
                return self.template()
            try:
                return self.interactive()
            except WhatsAppError as exc:
                if exc.code != OUTSIDE_WINDOW:
                    raise
                logger.info("outbound %s: outside the 24-hour window (131047); sending the template", self.message.pk)
                return self.template()
        if self.acknowledged_by_reaction():
            return self.reaction()
        return self.text()

    def note(self, **values: Any) -> None:
        """Record how the row went out (visible in the admin) and, for split texts, which parts are sent."""
        self.raw.update(values)
        Message.objects.filter(pk=self.message.pk).update(raw=self.raw)

    def quoted_id(self) -> str | None:
        inbound = self.message.reply_to
        if inbound is None or inbound.channel != self.message.channel:
            return None
        return inbound.provider_message_id

    def acknowledged_by_reaction(self) -> bool:
        return bool(settings.WHATSAPP_ACK_REACTION and self.content.acknowledge and self.quoted_id())

    def text(self) -> str:
        parts = split_text(self.message.text)
        if not parts:
            raise SendError("empty message: nothing to send", permanent=True, code="empty")
        # A retry after a transient error resumes after the parts already accepted by Meta.
        done: list[str] = [str(part_id) for part_id in self.raw.get("sent_parts", [])]
        for index, part in enumerate(parts):
            if index < len(done):
                continue
            sent = self.client.send_message(
                to=self.to,
                text=part,
                reply_to_message_id=self.quoted_id() if index == 0 else None,
                tracker=self.tracker,
            )
            done.append(sent.id)
            if len(parts) > 1:
                self.note(sent_parts=done)
        return done[-1]

    def reaction(self) -> str:
        quoted = self.quoted_id()
        if quoted is None:
            return self.text()
        sent = self.client.send_reaction(to=self.to, emoji=ACK_EMOJI, message_id=quoted, tracker=self.tracker)
        self.note(sent_as="reaction")
        return sent.id

    def interactive(self) -> str:
        from pywa.types import Button

        buttons = [
            Button(title=button["title"][:MAX_BUTTON_TITLE], callback_data=button["id"])
            for button in self.buttons()[:MAX_BUTTONS]
        ]
        if not buttons:
            return self.text()
        body = self.message.text.strip()
        if len(body) > MAX_INTERACTIVE_BODY:
            body = body[: MAX_INTERACTIVE_BODY - 1] + "…"
        sent = self.client.send_message(to=self.to, text=body, buttons=buttons, tracker=self.tracker)
        self.note(sent_as="interactive")
        return sent.id

    def buttons(self) -> list[dict[str, str]]:
        """Each button as Meta takes it: the tool call it carries is the id Meta echoes when it is tapped."""
        rendered = []
        for button in self.content.buttons:
            try:
                rendered.append(
                    {"id": button_id(button.tool, button.args, max_length=MAX_BUTTON_ID), "title": button.title}
                )
            except ValueError:
                logger.warning("outbound %s: button for %s left out (its id is too long)", self.message.pk, button.tool)
        return rendered

    def template(self) -> str:
        from pywa.types.templates import BaseParams, BodyText, QuickReplyButton, TemplateLanguage

        values = [template_param(value) for value in self.content.notice_values or ()]
        names = settings.WHATSAPP_REMINDER_TEMPLATE_PARAM_NAMES
        # BodyText.params takes the values positionally ({{1}}) or by name ({{name}}); typed loosely by pywa.
        fill: Callable[..., BaseParams] = BodyText.params
        body = fill(**dict(zip(names, values, strict=False))) if names else fill(*values)
        params: list[BaseParams] = [body]
        for index, button in enumerate(self.buttons()[: settings.WHATSAPP_REMINDER_TEMPLATE_QUICK_REPLIES]):
            params.append(QuickReplyButton.params(callback_data=button["id"], index=index))
        code = self.template_language()
        language = TemplateLanguage._value2member_map_.get(code)
        if language is None:
            raise SendError(
                f"template language {code!r} is not a WhatsApp language code", permanent=True, code="config"
            )
        sent = self.client.send_template(
            to=self.to,
            name=settings.WHATSAPP_REMINDER_TEMPLATE,
            language=language,  # type: ignore[arg-type]
            params=params,
            tracker=self.tracker,
        )
        self.note(sent_as="template", template=settings.WHATSAPP_REMINDER_TEMPLATE, template_language=code)
        return sent.id

    def template_language(self) -> str:
        approved = settings.WHATSAPP_REMINDER_TEMPLATE_LANGUAGES or ["en"]
        member = self.message.conversation.member
        return member.language if member is not None and member.language in approved else approved[0]


def template_param(value: object) -> str:
    """Meta refuses template parameters with newlines, tabs or long runs of spaces, and empty ones."""
    text = re.sub(r"\s+", " ", str(value)).strip()
    return text[:MAX_TEMPLATE_PARAM] or "-"


def _redacted(text: str) -> str:
    for token in {settings.META_TOKEN, current_token("meta", fallback=settings.META_TOKEN)}:
        if token:
            text = text.replace(token, "[redacted]")
    return text


def _retry_after(response: httpx.Response | None) -> float | None:
    if response is None:
        return None
    try:
        return min(max(float(response.headers.get("Retry-After", "")), 0.0), 600.0)
    except ValueError:
        return None


def send_error(exc: "WhatsAppError") -> SendError:
    """Meta's error → retry or not. Unknown codes are permanent unless Meta or the HTTP status says
    otherwise: a retry loop on a request Meta refuses only burns quota."""
    code = int(exc.code)
    reason = _redacted(f"WhatsApp error {code}: {exc.message}")[:500]
    if str(code) == EXPIRED_AUTH_CODE:
        # Counted by the outbox as alfred_credential_rejected_total{channel="whatsapp",code="190"} (an alert code).
        return SendError(
            "WhatsApp access token expired or revoked (Graph API code 190): replace META_TOKEN",
            permanent=True,
            code=str(code),
        )
    status = exc.status_code or 0
    transient = WHATSAPP.send_policy.is_transient(
        str(code), provider_says_transient=status >= 500 or status == 429 or exc.is_transient is True
    )
    return SendError(
        reason,
        permanent=not transient,
        retry_after=_retry_after(exc.raw_response) if transient else None,
        code=str(code),
    )


def unreadable_refusal(response: httpx.Response | None) -> SendError | None:
    """An error status whose body pywa could not read: the request was refused, so nothing went out and a 5xx
    or 429 is retried like any of Meta's temporary failures. None when the last answer was not an error."""
    if response is None or response.status_code < 400:
        return None
    status = response.status_code
    transient = status >= 500 or status == 429
    return SendError(
        f"WhatsApp answered HTTP {status} with a body that is not a Graph API error",
        permanent=not transient,
        retry_after=_retry_after(response) if transient else None,
        code=str(status),
    )


def network_error(exc: httpx.TransportError, message: Message) -> SendError:
    return transport_send_error("WhatsApp", exc, reached=not isinstance(exc, NOT_SENT), message_id=message.pk)
