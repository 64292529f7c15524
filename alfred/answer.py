"""The outcome of handling one inbound message, whoever decided it (a channel's preparer or the brain)."""

from dataclasses import dataclass, field

from alfred.content import OutboundContent
from alfred.models import Status


@dataclass
class Answer:
    # The reply's text; empty = no reply (a reaction from the member, a stranger refused already today).
    text: str
    path: str
    status: str = Status.HANDLED
    kind: str = "text"
    content: OutboundContent = field(default_factory=OutboundContent)
    error: str = ""
