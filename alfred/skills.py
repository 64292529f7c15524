"""Core tools every instance has: ``help`` and ``ping``."""

from django.utils.translation import gettext as _

from alfred.registry import Skill, ToolContext, ToolResult, get_registry, tool
from alfred.rules.phrasebook import Phrase, RegexPhrasebook


@tool()
def help(ctx: ToolContext) -> ToolResult:  # noqa: A001  (the tool's public name is "help")
    """List what Alfred can do on this instance, in the user's language."""
    lines = [_("Here is what I can do:")]
    lines += [f"• {summary}" for summary in get_registry().summaries()]
    return ToolResult(text="\n".join(lines))


@tool()
def ping(ctx: ToolContext) -> ToolResult:
    """Check that Alfred is alive; answers pong."""
    return ToolResult(text="pong")


def summary() -> str:
    return _("“help” shows this list; “ping” checks I am awake.")


core = Skill(
    name="core",
    instances=frozenset({"home", "biz"}),
    tools=[help, ping],
    phrasebook=RegexPhrasebook(
        [
            Phrase(r"ping", "ping"),
            Phrase(
                r"help|ayuda|menu|men[uú]|\?|what can you do|what do you do|how does this work|"
                r"qu[eé] (?:sabes|puedes) hacer|c[oó]mo funciona(?:s)?|instrucciones|commands|comandos",
                "help",
            ),
        ]
    ),
    summary=summary,
)
