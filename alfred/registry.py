"""The skill registry: what this instance can do.

A *skill* bundles **tools** (typed functions; the argument schema comes from their type hints, the
description from their docstring) and a **phrasebook** (deterministic phrasings, English and Spanish,
that turn a message into tool calls). Each settings module lists its skills in ``ALFRED_SKILLS``; a skill
declares the instances it belongs to and the registry refuses any other (system check ``alfred.E002``).
"""

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol, get_type_hints

from django.conf import settings
from django.utils.module_loading import import_string
from pydantic import BaseModel, ConfigDict, create_model

if TYPE_CHECKING:
    from alfred.content import Button, Fact
    from alfred.models import Conversation, Member, Message


@dataclass
class ToolContext:
    """What a tool knows about the turn it runs in."""

    member: "Member"
    conversation: "Conversation"
    message: "Message"
    language: str


@dataclass
class ToolResult:
    """What a tool hands back: a reply in the user's language and, for the LLM, structured data."""

    text: str
    data: dict[str, Any] = field(default_factory=dict)
    ok: bool = True
    # A list change may be acknowledged with a cheap reaction instead of a text (channel decides).
    acknowledge: bool = False
    # Buttons that run a tool call, and a record as labelled facts: shown by channels that can, on a reply
    # from the rules (``text`` must stand on its own, for the terminal and the LLM).
    buttons: "tuple[Button, ...]" = ()
    facts: "tuple[Fact, ...]" = ()


@dataclass(frozen=True)
class Intent:
    """A tool call proposed by a phrasebook or the LLM, before validation."""

    tool: str
    args: dict[str, Any] = field(default_factory=dict)


class Phrasebook(Protocol):
    """Turns a message into tool calls, or returns None when it is not sure (precision beats recall)."""

    def match(self, text: str, language: str) -> list[Intent] | None: ...


class ToolArguments(BaseModel):
    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class Tool:
    name: str
    func: Callable[..., ToolResult]
    arguments: type[ToolArguments]
    description: str
    # Destructive tools need an explicit request from the user; the LLM layer asks for confirmation.
    destructive: bool = False
    # Output written by outsiders (emails, web pages): once it is in an LLM turn, that turn may only
    # repeat tools the user's own request already called (alfred/llm/turn.py).
    untrusted_output: bool = False

    def json_schema(self) -> dict[str, Any]:
        return self.arguments.model_json_schema()

    def call(self, ctx: ToolContext, arguments: ToolArguments) -> ToolResult:
        return self.func(ctx, **{name: getattr(arguments, name) for name in type(arguments).model_fields})


def tool(*, destructive: bool = False, untrusted_output: bool = False) -> Callable[[Callable[..., ToolResult]], Tool]:
    """Make a tool from ``def name(ctx: ToolContext, *, arg: T = default) -> ToolResult``."""

    def build(func: Callable[..., ToolResult]) -> Tool:
        hints = get_type_hints(func)
        fields: dict[str, Any] = {}
        for name, parameter in list(inspect.signature(func).parameters.items())[1:]:
            default = ... if parameter.default is inspect.Parameter.empty else parameter.default
            fields[name] = (hints[name], default)
        arguments = create_model(f"{func.__name__}_arguments", __base__=ToolArguments, **fields)
        return Tool(
            name=func.__name__,
            func=func,
            arguments=arguments,
            description=inspect.cleandoc(func.__doc__ or func.__name__),
            destructive=destructive,
            untrusted_output=untrusted_output,
        )

    return build


@dataclass(frozen=True)
class Skill:
    name: str
    instances: frozenset[str]
    tools: Sequence[Tool]
    phrasebook: Phrasebook | None
    # One line for the help reply; called inside the user's language.
    summary: Callable[[], str]


class Registry:
    def __init__(self, skills: Sequence[Skill]) -> None:
        self.skills = list(skills)
        self.tools: dict[str, Tool] = {}
        for skill in self.skills:
            for one in skill.tools:
                if one.name in self.tools:
                    raise ValueError(f"Tool {one.name!r} is defined by two skills")
                self.tools[one.name] = one

    def phrasebooks(self) -> list[Phrasebook]:
        return [skill.phrasebook for skill in self.skills if skill.phrasebook is not None]

    def summaries(self) -> list[str]:
        return [skill.summary() for skill in self.skills]


def load_skill(path: str) -> Skill:
    skill = import_string(path)
    if not isinstance(skill, Skill):
        raise TypeError(f"{path} is not a Skill")
    return skill


@cache
def get_registry() -> Registry:
    """The registry for this process's instance; skills outside the instance are refused."""
    skills = [load_skill(path) for path in settings.ALFRED_SKILLS]
    foreign = [skill.name for skill in skills if settings.INSTANCE not in skill.instances]
    if foreign:
        raise ValueError(f"Skills {foreign} do not belong to instance {settings.INSTANCE!r}")
    return Registry(skills)
