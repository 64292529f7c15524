"""A test-only skill whose tool answers with buttons and a card, for the typed-content tests."""

from alfred.content import Button, Fact
from alfred.registry import Skill, ToolContext, ToolResult, tool
from alfred.rules.phrasebook import Phrase, RegexPhrasebook


@tool()
def show_card(ctx: ToolContext) -> ToolResult:
    """Show a record as a card with a button."""
    return ToolResult(
        text="Record: open, 3 items.",
        facts=(Fact("State", "open"), Fact("Items", "3")),
        buttons=(Button(title="Close it", tool="ping"),),
    )


card_skill = Skill(
    name="card",
    instances=frozenset({"home", "biz"}),
    tools=[show_card],
    phrasebook=RegexPhrasebook([Phrase(r"show the card", "show_card")]),
    summary=lambda: "cards",
)
