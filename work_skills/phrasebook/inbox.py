"""Work inbox phrasings, English and Spanish: "summarise my inbox", "any important emails?", "resume mi
correo", "¿tengo correos importantes?". Whole sentences on the cleaned, folded message; the one tool they
call only reads, so a miss costs more than a match would, but anything longer or odder is left to the LLM.
"""

import re

from alfred.registry import Intent
from alfred.rules.utterance import Utterance

# A request for a summary is a short sentence; a longer message is about something else.
MAX_RULE_CHARS = 120

MAIL = r"(?:e-?mails?|mails?|inbox|mailbox|correos?|correo electronico|bandeja(?:\s+de\s+entrada)?|buzon)"
MY = r"(?:(?:my|the|our|mi|mis|el|del|los|la|nuestro|nuestra)\s+)?(?:work\s+|de\s+trabajo\s+)?"
WHEN = r"(?:\s+(?:from\s+|since\s+|de\s+|desde\s+)?(?P<when>today|yesterday|hoy|ayer))?"
IMPORTANT = r"(?:important|urgent|importantes?|urgentes?)"

SUMMARY = [
    rf"(?:summari[sz]e|sum\s+up|recap|check|read|go\s+through|review|show\s+me|give\s+me|brief\s+me\s+on)\s+{MY}{MAIL}{WHEN}",
    rf"(?:a\s+)?(?:summary|recap|digest)\s+of\s+{MY}{MAIL}{WHEN}",
    rf"{MY}{MAIL}\s+(?:summary|digest|recap){WHEN}",
    rf"(?:what'?s|whats|what\s+is|anything\s+new)\s+in\s+{MY}{MAIL}{WHEN}",
    rf"(?:any|do\s+i\s+have\s+any|have\s+i\s+got\s+any|got\s+any|did\s+i\s+get\s+any)\s+new\s+{MAIL}{WHEN}",
    rf"(?:resume(?:me)?|resumeme|resumir|haz(?:me)?\s+un\s+resumen\s+de|revisa|revisame|mira|lee)\s+{MY}{MAIL}{WHEN}",
    rf"(?:el\s+)?resumen\s+(?:de\s+|del\s+){MY}{MAIL}{WHEN}",
    rf"(?:que\s+hay|que\s+tengo|hay\s+algo\s+nuevo)\s+en\s+{MY}{MAIL}{WHEN}",
    rf"(?:tengo|hay)\s+(?:algun\s+|algunos\s+)?{MAIL}\s+nuevos?{WHEN}",
]
URGENT = [
    rf"(?:any|do\s+i\s+have\s+any|have\s+i\s+got\s+any|got\s+any|are\s+there\s+any|did\s+i\s+get\s+any)\s+"
    rf"{IMPORTANT}\s+{MAIL}{WHEN}",
    rf"(?:show\s+me\s+|summari[sz]e\s+|list\s+|give\s+me\s+)?{MY}{IMPORTANT}\s+{MAIL}{WHEN}",
    rf"(?:tengo|hay)\s+(?:algun\s+|algunos\s+)?{MAIL}\s+{IMPORTANT}{WHEN}",
    rf"(?:algun|algo|alguno)\s+{MAIL}\s+{IMPORTANT}{WHEN}",
    rf"(?:ensename\s+|muestrame\s+|resume(?:me)?\s+|dame\s+)?{MY}{MAIL}\s+{IMPORTANT}{WHEN}",
]
WHEN_SINCE = {"today": "today", "hoy": "today", "yesterday": "yesterday", "ayer": "yesterday"}


def _compiled(patterns: list[str]) -> list[re.Pattern[str]]:
    return [re.compile(rf"^(?:{pattern})$") for pattern in patterns]


RULES = [(pattern, False) for pattern in _compiled(SUMMARY)] + [(pattern, True) for pattern in _compiled(URGENT)]


class InboxPhrasebook:
    def match(self, text: str, language: str) -> list[Intent] | None:
        if len(text) > MAX_RULE_CHARS:
            return None
        cleaned = Utterance.of(text).clean()
        for pattern, urgent_only in RULES:
            found = pattern.match(cleaned)
            if found:
                args: dict[str, object] = {}
                if found["when"]:
                    args["since"] = WHEN_SINCE[found["when"]]
                if urgent_only:
                    args["urgent_only"] = True
                return [Intent("inbox_summary", args)]
        return None
