"""What an outbound message carries besides its text, as a small typed value. Skills and the brain say
*what* to send; each channel decides *how* (WhatsApp: reply buttons, a ✅ reaction, an approved template
outside its 24-hour window; the terminal: plain text). Stored on ``Message.content``."""

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Button:
    """A choice the member can tap. Tapping it runs the tool call it carries, with no text to interpret."""

    title: str
    tool: str
    args: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"title": self.title, "tool": self.tool, "args": self.args}


@dataclass(frozen=True)
class Fact:
    """One labelled value of a record shown as a card (a deal's stage, amount, close date…)."""

    label: str
    value: str

    def as_json(self) -> dict[str, str]:
        return {"label": self.label, "value": self.value}


@dataclass(frozen=True)
class OutboundContent:
    buttons: tuple[Button, ...] = ()
    # A record as labelled facts, for channels that show cards; the text must say the same in words, since a
    # channel that shows text only ignores these.
    facts: tuple[Fact, ...] = ()
    # The reply only confirms a change the member asked for; a channel may show it as a reaction instead.
    acknowledge: bool = False
    # A notice Alfred starts itself (a reminder). Where the channel allows no free-form message at this point,
    # these values fill the channel's pre-approved message instead; None = not a notice.
    notice_values: tuple[str, ...] | None = None

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.buttons:
            data["buttons"] = [button.as_json() for button in self.buttons]
        if self.facts:
            data["facts"] = [fact.as_json() for fact in self.facts]
        if self.acknowledge:
            data["acknowledge"] = True
        if self.notice_values is not None:
            data["notice_values"] = list(self.notice_values)
        return data

    @classmethod
    def from_json(cls, data: Any) -> "OutboundContent":
        """The content stored on a row; parts that are not the shape written by ``as_json`` are dropped."""
        if not isinstance(data, dict):
            return cls()
        buttons = tuple(
            Button(
                title=item["title"], tool=item["tool"], args=item["args"] if isinstance(item.get("args"), dict) else {}
            )
            for item in data.get("buttons", [])
            if isinstance(item, dict) and isinstance(item.get("title"), str) and isinstance(item.get("tool"), str)
        )
        facts = tuple(
            Fact(label=item["label"], value=item["value"])
            for item in data.get("facts", [])
            if isinstance(item, dict) and isinstance(item.get("label"), str) and isinstance(item.get("value"), str)
        )
        values = data.get("notice_values")
        return cls(
            buttons=buttons,
            facts=facts,
            acknowledge=data.get("acknowledge") is True,
            notice_values=tuple(str(value) for value in values) if isinstance(values, list) else None,
        )


NO_CONTENT = OutboundContent()
