"""Buttons that carry a tool call. A channel renders ``Button``s; when one is tapped the provider echoes
its id, and ``intent_from_button_id`` turns it back into the tool call (recorded as ``Message.intent``)."""

import json
from dataclasses import dataclass
from typing import Any

PREFIX = "alfred:"
# WhatsApp caps reply-button ids at 256 characters; ids longer than that are refused when built.
MAX_ID_LENGTH = 256


@dataclass(frozen=True)
class Button:
    id: str
    title: str


def button_id(tool: str, args: dict[str, Any]) -> str:
    encoded = PREFIX + json.dumps({"tool": tool, "args": args}, separators=(",", ":"), ensure_ascii=False)
    if len(encoded) > MAX_ID_LENGTH:
        raise ValueError(f"button id for {tool} is longer than {MAX_ID_LENGTH} characters")
    return encoded


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def intent_from_button_id(value: str) -> dict[str, Any] | None:
    """The ``{"tool", "args"}`` a button id carries, or None for ids Alfred did not make."""
    if not value.startswith(PREFIX):
        return None
    try:
        decoded = json.loads(value[len(PREFIX) :], parse_constant=_refuse_constant)
    except ValueError:  # JSONDecodeError, and NaN/Infinity, which no JSON column can store
        return None
    if not isinstance(decoded, dict) or not isinstance(decoded.get("tool"), str):
        return None
    args = decoded.get("args")
    return {"tool": decoded["tool"], "args": args if isinstance(args, dict) else {}}
