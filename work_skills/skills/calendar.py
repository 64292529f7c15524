"""The owner's agenda on biz: "what's on my calendar tomorrow?" with titles (it is biz's own data). The
export to home (times only) is ``work_skills.calendar.calendar_export``, run by beat and ``manage.py``."""

import re
from datetime import datetime

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from alfred.registry import Intent, Skill, ToolContext, ToolResult, tool
from alfred.rules.utterance import Utterance
from alfred.rules.when import when_span
from work_skills.calendar import CalendarError, calendar_occurrences, owner_zone

CALENDAR = r"(?:my|the|our|mi|el|la)\s+(?:work\s+)?(?:calendar|agenda|schedule|calendario)"
PATTERNS = [
    re.compile(rf"^(?:what'?s|whats|what\s+is|what\s+do\s+i\s+have)\s+(?:on|in)\s+{CALENDAR}\s+(?P<when>.+)$"),
    re.compile(rf"^(?:show\s+me\s+|read\s+me\s+)?{CALENDAR}\s+(?:for\s+)?(?P<when>.+)$"),
    re.compile(r"^what\s+(?:do\s+i\s+have|meetings\s+do\s+i\s+have|have\s+i\s+got)\s+(?P<when>.+)$"),
    re.compile(rf"^que\s+(?:tengo|hay)\s+(?:en\s+{CALENDAR}\s+)?(?P<when>.+?)(?:\s+en\s+{CALENDAR})?$"),
]


class AgendaPhrasebook:
    def match(self, text: str, language: str) -> list[Intent] | None:
        folded = " ".join(Utterance.of(text).clean().replace(",", " ").split())
        for pattern in PATTERNS:
            found = pattern.match(folded)
            if found and when_span(found["when"], now=timezone.now().astimezone(owner_zone())) is not None:
                return [Intent("calendar_agenda", {"when": found["when"]})]
        return None


@tool()
def calendar_agenda(ctx: ToolContext, *, when: str) -> ToolResult:
    """The owner's calendar events for a time, with titles, from the ICS feeds and the admin's events.
    ``when`` as the user said it: "today", "tomorrow", "Friday", "next week", "mañana"."""
    now = datetime.now(owner_zone())
    span = when_span(when, now=now)
    if span is None:
        return ToolResult(text=_("I did not understand when you mean. Try “tomorrow” or “Friday”."), ok=False)
    try:
        found = calendar_occurrences(start=span.start, end=span.end)
    except CalendarError as exc:
        return ToolResult(text=_("I cannot read the calendar right now (%(reason)s).") % {"reason": exc}, ok=False)
    day = formats.date_format(span.day, "l j M")
    if not found:
        return ToolResult(text=_("Nothing on your calendar from %(day)s.") % {"day": day}, data={"events": []})
    zone = owner_zone()
    lines = []
    for event in found:
        if event.all_day:
            lines.append(
                f"• {formats.date_format(event.start.astimezone(zone).date(), 'D j')} "
                + _("all day")
                + f" — {event.title}"
            )
        else:
            start, end = event.start.astimezone(zone), event.end.astimezone(zone)
            lines.append(f"• {formats.date_format(start.date(), 'D j')} {start:%H:%M}–{end:%H:%M} — {event.title}")
    header = _("Your calendar from %(day)s:") % {"day": day}
    data = {"events": [{"title": e.title, "start": e.start.isoformat(), "end": e.end.isoformat()} for e in found]}
    return ToolResult(text="\n".join([header, *lines]), data=data)


def calendar_summary() -> str:
    return _("Calendar: “what's on my calendar tomorrow?”; busy times go to Alfred-Home nightly.")


skill = Skill(
    name="calendar",
    instances=frozenset({"biz"}),
    tools=[calendar_agenda],
    phrasebook=AgendaPhrasebook(),
    summary=calendar_summary,
)
