"""What every home phrasebook checks before it lets a rule write: the message is not about something the
home skills do not do (calendars, reminders, devices, "delete everything"), and an item name extracted from
it is a name, not a piece of the sentence ("tissues so can you", "bread in the shopping").

Both checks make the rules abstain (return None): the LLM or the fallback answers instead, and nothing is
written. A miss costs one LLM call; junk on the family's list costs their trust.
"""

import re

from alfred.rules.slots import slot_is_clean

# Things the home skills never change, said with the same verbs as a list command ("add the school play to
# my calendar", "delete my reminder", "pon una alarma", "apaga las luces"), by topic. Matched on folded text.
TOPICS = {
    "reminder": (
        r"reminder|reminders|remind|recordatorio|recordatorios|recuerdame|recuerdale|recuerdanos|recordarme|"
        r"alarm|alarms|alarma|alarmas|timer|timers|temporizador|temporizadores"
    ),
    "calendar": (
        r"calendar|calendars|calendario|calendarios|agenda|diary|schedule|agendar|"
        r"appointment|appointments|cita|citas|meeting|meetings|reunion|reuniones|event|events|evento|eventos"
    ),
    "device": (
        r"turn\s+(?:on|off)|switch\s+(?:on|off)|enciende|encienda|apaga|apague|lights|luces|heating|calefaccion|"
        r"thermostat|termostato|volume|volumen|music|musica|song|songs|cancion|canciones|radio|playlist|podcast|"
        r"tv|tele|television|lamp|lamps|lampara|lamparas|blinds|persianas"
    ),
}
OUT_OF_SCOPE = {topic: re.compile(rf"(?<![a-z0-9'])(?:{words})(?![a-z0-9'])") for topic, words in TOPICS.items()}
# "delete everything", "borra todo", "clear the whole list", "delete all my lists": never a rule's guess.
EVERYTHING = re.compile(
    r"^(?:delete|remove|clear|wipe|empty|erase|scrap|borra|borralo|vacia|vacie|elimina|elimine|quita|"
    r"quite|limpia)\s+(?:(?:it|lo)\s+)?(?:everything|all|todo|toda|todos|todas|the\s+whole|la\s+lista\s+entera|"
    r"(?:the|my|our|la|mi)\s+(?:whole\s+|entire\s+)?(?:list|lista)s?(?:\s+entera)?$)"
)


def out_of_scope_topic(folded: str) -> str | None:
    """What the request is about when the home skills do not change it: "everything" (deleting it all),
    "reminder", "calendar" or "device"; None when it may be ours."""
    if EVERYTHING.match(folded):
        return "everything"
    return next((topic for topic, words in OUT_OF_SCOPE.items() if words.search(folded)), None)


def out_of_scope(folded: str) -> bool:
    """The request is about something the home skills do not change: the rules leave it alone."""
    return out_of_scope_topic(folded) is not None


def item_is_clean(name: str, *, task: bool = False) -> bool:
    """No piece of the sentence in an item name (``alfred.rules.slots``); a to-do list's line is a task,
    which keeps its verbs and prepositions ("call the plumber", "llamar al fontanero")."""
    return slot_is_clean(name, kind="task" if task else "thing")
