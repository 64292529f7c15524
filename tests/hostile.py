"""Hypothesis strategies for what an attacker (or a broken proxy) can put in a webhook request: any bytes, any
JSON, deep nesting, strings JSON can carry but UTF-8 cannot (lone surrogates), and known-good provider bodies
with one field swapped for a value of the wrong type."""

import copy
import json
from typing import Any

from hypothesis import strategies as st

# Strings with the characters that break parsers and columns: NUL, controls, lone surrogates, RTL marks.
ODD_TEXT = st.text(
    alphabet=st.one_of(st.characters(), st.sampled_from(["\x00", "\ud800", "\udfff", "\u202e", "\ufeff", "\n"])),
    max_size=40,
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    ODD_TEXT,
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(ODD_TEXT, children, max_size=4)),
    max_leaves=20,
)


def encoded(value: Any) -> bytes:
    """JSON as a sender would put it on the wire; lone surrogates travel as ``\\udxxx`` escapes."""
    return json.dumps(value).encode()


@st.composite
def deep_nesting(draw: st.DrawFn) -> bytes:
    depth = draw(st.integers(min_value=65, max_value=3000))
    opener, closer = draw(st.sampled_from([(b"[", b"]"), (b'{"a":', b"}")]))
    return opener * depth + b"1" + closer * depth


RAW_BODIES = st.one_of(st.binary(max_size=300), deep_nesting(), JSON_VALUES.map(encoded))


def paths_of(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path (keys and indexes) to a value inside ``value``."""
    found: list[tuple[Any, ...]] = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += paths_of(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += paths_of(child, (*prefix, index))
    return found


@st.composite
def mutated(draw: st.DrawFn, body: dict[str, Any]) -> dict[str, Any]:
    """``body`` with one to three of its values (anywhere in the tree) replaced by arbitrary JSON."""
    result = copy.deepcopy(body)
    paths = paths_of(result)
    for path in draw(st.lists(st.sampled_from(paths), min_size=1, max_size=3)):
        parent: Any = result
        try:
            for step in path[:-1]:
                parent = parent[step]
            parent[path[-1]] = draw(JSON_VALUES)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier swap replaced an ancestor of this path
    return result
