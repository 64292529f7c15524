"""The outbound side of a channel: one small base class with one hook, and a typed error."""

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from alfred.models import Message


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

    def send(self, message: Message) -> str:
        raise NotImplementedError


@cache
def get_sender(channel: str) -> Sender:
    try:
        path = settings.ALFRED_SENDERS[channel]
    except KeyError:
        raise SendError(f"No sender configured for channel {channel!r}", permanent=True) from None
    sender: Sender = import_string(path)()
    return sender
