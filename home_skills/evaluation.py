"""How the corpus scorer (``alfred.rules.corpus``) compares the arguments of the home tools: item names
after the normaliser (case, accents, singular/plural), list names, chore titles and member names case- and
accent-insensitively, quantities as numbers."""

from typing import Any

from alfred.rules.corpus import ArgumentMatchers, same_text, same_texts
from alfred.rules.text import name_key


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def same_items(expected: list[dict[str, Any]], got: list[dict[str, Any]]) -> bool:
    """The same grocery items in the same order: same name key, quantity and unit."""
    if len(expected) != len(got):
        return False
    for want, have in zip(expected, got, strict=True):
        if name_key(want["name"]) != name_key(str(have.get("name", ""))):
            return False
        if _number(want.get("quantity")) != _number(have.get("quantity")):
            return False
        if (want.get("unit") or None) != (have.get("unit") or None):
            return False
    return True


ARGUMENT_MATCHERS: ArgumentMatchers = {
    "items": same_items,
    "list": same_text,
    "title": same_text,
    "chore": same_text,
    "member": same_text,
    "assignees": same_texts,
}
