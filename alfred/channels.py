"""Channels: one ``ChannelDescription`` per channel app says everything the core needs to know about it.

A channel app (``channels_<name>``) declares ``CHANNEL = ChannelDescription(...)`` in its ``channel.py`` and
is listed once, in ``ALFRED_CHANNEL_APPS`` of the instance's settings. The model choices, the URLs, the
sender and preparer lookups, member addresses and the outbox's retry policy all derive from that list, so
the core names no provider. The terminal channel (``manage.py chat``) is the core's own.

Descriptions hold dotted paths, not classes: the web process reads them at start-up and must not import
a provider SDK it never uses (every import costs memory in every process).
"""

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from alfred.answer import Answer
    from alfred.models import Message

logger = logging.getLogger(__name__)


class SendError(Exception):
    """A send that did not go through. ``permanent`` errors are never retried."""

    def __init__(self, reason: str, *, permanent: bool, retry_after: float | None = None, code: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.retry_after = retry_after
        self.code = code


class Sender:
    """Delivers one outbound ``Message`` row. Returns the provider's message id or raises ``SendError``."""

    def send(self, message: "Message") -> str:
        raise NotImplementedError


# The error code of a send whose answer never came: it may or may not have reached the provider.
UNANSWERED = "unanswered"


def transport_send_error(provider: str, exc: BaseException, *, reached: bool, message_id: int) -> SendError:
    """A send that failed in transport. Nothing reached the provider (the connection failed) → try again
    later. It may have reached it (the answer never came) → not retried now: providers have no idempotency key,
    and a duplicate is worse than a gap. A delivery report may still move the row on, and where the provider
    reports every send (``SendPolicy.confirms_sends``), the sweeper sends it again if none comes."""
    name = type(exc).__name__
    if not reached:
        return SendError(f"{provider} unreachable ({name})", permanent=False, code="network")
    logger.warning("outbound %s: no answer from %s (%s); not retried blindly", message_id, provider, name)
    return SendError(
        f"no answer from {provider} ({name}); it may have been sent, so it is not retried blindly",
        permanent=True,
        code=UNANSWERED,
    )


@dataclass(frozen=True)
class SendPolicy:
    """How the outbox treats a channel's failed sends. The sender classifies each error with
    ``is_transient``; the outbox retries transient ones after ``retry_delay`` (unless the provider said how
    long to wait) up to ``ALFRED_OUTBOUND_MAX_ATTEMPTS``, and logs ``alert_codes`` as errors for the operator."""

    # Provider error codes worth another try later (rate limits, temporary failures).
    transient_codes: frozenset[str] = frozenset()
    # Codes never retried even when the provider marks them transient (retrying would make things worse).
    permanent_codes: frozenset[str] = frozenset()
    # Failures that need a person (an expired token): logged at error level.
    alert_codes: frozenset[str] = frozenset()
    # Waits between attempts: backoff_base ** attempt seconds, at most backoff_cap.
    backoff_base: float = 4.0
    backoff_cap: float = 600.0
    # The provider reports every send it accepted (WhatsApp's "sent" status webhook, tied to its row by the
    # tracker), and a report moves the row on. A send interrupted by a dead worker, or whose answer never came,
    # with no report after ``ALFRED_UNCONFIRMED_SEND_SECONDS`` never reached the provider and is sent again;
    # without reports it cannot be told from one that did, and is failed instead.
    confirms_sends: bool = False

    def is_transient(self, code: str, *, provider_says_transient: bool = False) -> bool:
        return code not in self.permanent_codes and (code in self.transient_codes or provider_says_transient)

    def retry_delay(self, attempt: int) -> float:
        return float(min(self.backoff_base**attempt, self.backoff_cap))


def _stripped(address: str) -> str:
    return address.strip()


def _any_address(addresses: Sequence[str]) -> str | None:
    return addresses[0] if addresses else None


@dataclass(frozen=True)
class ChannelDescription:
    # Stored on every conversation and message of the channel: never rename one in use.
    name: str
    label: str
    # Dotted path of the ``Sender`` subclass (imported in the worker only).
    sender: str
    # Dotted path of ``prepare(message) -> Answer | None``, run in the worker before the brain; "" = none.
    preparer: str = ""
    # Dotted path of a module whose ``urlpatterns`` are mounted at the site root; "" = none.
    urls: str = ""
    # What a member's address is on this channel, for the admin ("WhatsApp number or user id").
    address_help: str = ""
    # An address as typed by a person → the form the provider sends (e.g. "+34 600…" → "34600…").
    normalise_address: Callable[[str], str] = _stripped
    # Of a member's addresses on this channel (in the order they were added), the one a message Alfred
    # starts itself goes to; None = this channel cannot start a conversation with them.
    proactive_address: Callable[[Sequence[str]], str | None] = _any_address
    send_policy: SendPolicy = field(default_factory=SendPolicy)
    # The environment variables this channel reads (documented in .env.template).
    env_vars: tuple[str, ...] = ()
    # The settings it cannot work without: outside development mode the channel's check refuses to start.
    required_settings: tuple[str, ...] = ()
    # The README section that says where to get them.
    setup_section: str = ""
    # Dotted path of the ``alfred.rotation.TokenRotator`` that renews this channel's token; "" = none.
    rotator: str = ""
    # The settings holding the URLs (or hosts) this channel connects to: the egress guard admits their hosts
    # while the channel is installed (README "Isolation", 4. Network).
    egress_settings: tuple[str, ...] = ()
    # Fixed hosts it connects to besides those (a provider's download or callback host).
    egress_hosts: tuple[str, ...] = ()

    def get_sender(self) -> Sender:
        return _sender(self.sender)

    def preparer_function(self) -> "Callable[[Message], Answer | None] | None":
        if not self.preparer:
            return None
        prepare: Callable[[Message], Answer | None] = import_string(self.preparer)
        return prepare


CONSOLE = ChannelDescription(
    name="console",
    label="Terminal",
    sender="alfred.console.ConsoleSender",
    address_help="Anything that names the member in `manage.py chat --sender`.",
    # A terminal session exists only while someone types in it.
    proactive_address=lambda addresses: None,
)


@cache
def channel_descriptions() -> tuple[ChannelDescription, ...]:
    """The terminal first, then each channel app of this instance in the order settings list them."""
    described = [CONSOLE]
    for app in settings.ALFRED_CHANNEL_APPS:
        description = import_string(f"{app}.channel.CHANNEL")
        if not isinstance(description, ChannelDescription):
            raise TypeError(f"{app}.channel.CHANNEL is not a ChannelDescription")
        described.append(description)
    names = [description.name for description in described]
    if len(set(names)) != len(names):
        raise ValueError(f"Two channels share a name: {names}")
    return tuple(described)


def get_channel(name: str) -> ChannelDescription:
    for description in channel_descriptions():
        if description.name == name:
            return description
    raise LookupError(f"No channel {name!r} is installed in this instance")


def channel_choices() -> list[tuple[str, str]]:
    """The model field choices. A callable, so the migrations do not change with the installed channels."""
    return [(description.name, description.label) for description in channel_descriptions()]


@cache
def _sender(path: str) -> Sender:
    sender: Sender = import_string(path)()
    return sender
