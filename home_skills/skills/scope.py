"""What the home instance does not do, said in one line: the ``out_of_scope`` tool (changes nothing)."""

from typing import Literal

from django.utils.translation import gettext as _

from alfred.registry import ToolContext, ToolResult, tool

Topic = Literal["calendar", "reminder", "device", "everything"]


@tool()
def out_of_scope(ctx: ToolContext, *, topic: Topic) -> ToolResult:
    """Say, changing nothing, that this is not something this assistant does: add, move or cancel calendar
    events ("calendar"; the calendar tools only see when the parent is busy), set reminders, alarms or
    timers ("reminder"), control lights or devices ("device"), or
    delete everything at once ("everything")."""
    answers = {
        "calendar": _("I can only see when you're busy — I can't add, move or cancel events."),
        "reminder": _("I can't set reminders, alarms or timers — I look after lists and chores."),
        "device": _("I can't control devices — I look after lists and chores."),
        "everything": _(
            "I don't delete everything at once. Remove items by name (“remove milk”) or clear what is bought "
            "(“clear the bought items”)."
        ),
    }
    return ToolResult(text=answers[topic], data={"topic": topic, "changed": False})
