"""Calendar questions, English and Spanish: "am I free on Saturday?", "do I have anything tomorrow
afternoon?", "¿estoy libre el finde?", "¿qué tengo pasado mañana?". Questions only — the tools read — and
only when ``alfred.rules.when`` understands the whole time phrase; anything else is left alone (the scope
phrasebook answers requests to change the calendar, the LLM or the fallback the rest)."""

import re

from django.utils import timezone

from alfred.registry import Intent
from alfred.rules.utterance import Utterance
from alfred.rules.when import when_span

CALENDAR = (
    r"(?:(?:on\s+|in\s+)?(?:my|the|our)\s+(?:work\s+)?(?:calendar|agenda|schedule|diary)\s+|"
    r"(?:en\s+)?(?:mi|el|la)\s+(?:calendario|agenda)\s+)?"
)
WHO = r"(?:am\s+i|are\s+we|is\s+(?:dad|mum|mom|papa|mama)|r\s+u|are\s+you)"
FREE = [
    rf"{WHO}\s+(?:free|available|around)\s+(?:for\s+anything\s+)?{CALENDAR}(?P<when>.+)",
    r"(?:i'?m|im|we'?re)\s+(?:free|available)\s+(?P<when>.+)",
    r"(?:free|available)\s+(?P<when>.+)",
    rf"(?:estoy|estamos|esta\s+(?:papa|mama))\s+(?:libres?|disponibles?)\s+{CALENDAR}(?P<when>.+)",
    r"(?:tengo|tenemos)\s+(?:el\s+dia\s+)?libre\s+(?P<when>.+)",
    r"(?:libre|libres)\s+(?P<when>.+)",
]
BUSY = [
    rf"{WHO}\s+(?:busy|working|booked)\s+{CALENDAR}(?P<when>.+)",
    rf"(?:do|have)\s+(?:i|we)\s+(?:got\s+|have\s+)?(?:anything|something|any\s+work\s+things|plans)\s+{CALENDAR}(?P<when>.+)",
    rf"(?:what|whats|what's)\s+(?:do\s+i\s+have|have\s+i\s+got|is\s+on|'?s\s+on|on)\s+{CALENDAR}(?P<when>.+)",
    rf"(?:when|what\s+times?)\s+am\s+i\s+busy\s+{CALENDAR}(?P<when>.+)",
    rf"(?:estoy|estamos)\s+(?:ocupad[oa]s?|liad[oa]s?|trabajando)\s+{CALENDAR}(?P<when>.+)",
    rf"(?:tengo|tenemos)\s+algo\s+{CALENDAR}(?P<when>.+)",
    rf"(?:que|a\s+que\s+hora)\s+(?:tengo|tenemos|hay)\s+{CALENDAR}(?P<when>.+)",
    rf"(?:cuando|a\s+que\s+horas?)\s+estoy\s+ocupad[oa]\s+{CALENDAR}(?P<when>.+)",
]
PATTERNS = [(re.compile(rf"^{p}$"), "calendar_free") for p in FREE] + [
    (re.compile(rf"^{p}$"), "calendar_busy") for p in BUSY
]


class CalendarPhrasebook:
    def match(self, text: str, language: str) -> list[Intent] | None:
        u = Utterance.of(text)
        folded = " ".join(u.clean().replace(",", " ").split())
        for pattern, tool_name in PATTERNS:
            found = pattern.match(folded)
            if found is None:
                continue
            when = found["when"].strip()
            # The time phrase must be understood whole, or this is not a calendar question we can answer.
            if when_span(when, now=timezone.now()) is None:
                return None
            return [Intent(tool_name, {"when": when})]
        return None
