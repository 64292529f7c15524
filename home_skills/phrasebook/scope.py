"""The home rules' last word: a request that looks like a list command but is about something the home
skills do not change (a calendar, reminders, devices, deleting everything) gets a short answer saying so
(the ``out_of_scope`` tool, which writes nothing) instead of "I did not understand".

Only without an LLM: when one is configured the rules abstain on these as before, and the model answers.
It runs after the chores phrasebook, so whatever a skill understands is never declined.
"""

import re

from alfred.llm import llm_configured
from alfred.registry import Intent
from alfred.rules.utterance import Utterance
from home_skills.phrasebook.common import out_of_scope_topic

# A request starts with one of these (after "please", "can you", "i want to" and the like): "who is at the
# meeting?" is a question about a calendar, not a request to change one, and is left to the fallback.
REQUEST_START = re.compile(
    r"^(?:(?:i|we)\s+(?:want|need|would\s+like|'d\s+like)\s+(?:you\s+)?to\s+|quiero\s+(?:que\s+)?|necesito\s+)?"
    r"(?:add|put|pop|stick|delete|remove|cancel|move|change|schedule|reschedule|set|book|create|make|clear|wipe|"
    r"erase|empty|turn|switch|dim|anade|anadir|agrega|agregar|apunta|apuntar|anota|anotar|pon|ponme|poner|borra|"
    r"borralo|borrar|quita|quitar|elimina|eliminar|cancela|cancelar|cambia|cambiar|mueve|mover|agenda|agendar|"
    r"programa|programar|crea|crear|vacia|limpia|enciende|encender|apaga|apagar|sube|baja)(?![a-z0-9'])"
)
# Reminders and "delete everything" are requests whatever the first word ("remind me…", "recuérdame…").
ALWAYS_REQUESTS = frozenset({"reminder", "everything"})


class ScopePhrasebook:
    def match(self, text: str, language: str) -> list[Intent] | None:
        if llm_configured():
            return None
        u = Utterance.of(text)
        topic = out_of_scope_topic(u.folded)
        if topic is None or not (topic in ALWAYS_REQUESTS or REQUEST_START.match(u.folded)):
            return None
        return [Intent("out_of_scope", {"topic": topic})]
