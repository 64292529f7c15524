"""Buttons that carry a tool call (``alfred.content.Button``). A channel gives each button the id made
here; when one is tapped the provider echoes the id, and ``intent_from_button_id`` turns it back into the
tool call (recorded as ``Message.intent``)."""

import json
from typing import Any

from alfred.webhooks import json_strict

PREFIX = "alfred:"


def button_id(tool: str, args: dict[str, Any], *, max_length: int | None = None) -> str:
    """The id of a button that runs ``tool(**args)``. ``max_length`` is the channel's cap on ids; an id that
    does not fit is refused (``ValueError``) rather than cut, since a cut id would run nothing."""
    encoded = PREFIX + json.dumps({"tool": tool, "args": args}, separators=(",", ":"), ensure_ascii=False)
    if max_length is not None and len(encoded) > max_length:
        raise ValueError(f"button id for {tool} is longer than {max_length} characters")
    return encoded


def intent_from_button_id(value: str) -> dict[str, Any] | None:
    """The ``{"tool", "args"}`` a button id carries, or None for ids Alfred did not make."""
    if not value.startswith(PREFIX):
        return None
    try:
        decoded = json_strict(value[len(PREFIX) :])
    except ValueError:  # JSONDecodeError, and NaN/Infinity, which no JSON column can store
        return None
    if not isinstance(decoded, dict) or not isinstance(decoded.get("tool"), str):
        return None
    args = decoded.get("args")
    return {"tool": decoded["tool"], "args": args if isinstance(args, dict) else {}}
