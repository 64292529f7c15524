"""What every home phrasebook checks before it lets a rule write: the message is not about something the
home skills do not do (calendars, reminders, devices, "delete everything"), and an item name extracted from
it is a name, not a piece of the sentence ("tissues so can you", "bread in the shopping").

Both checks make the rules abstain (return None): the LLM or the fallback answers instead, and nothing is
written. A miss costs one LLM call; junk on the family's list costs their trust.
"""

import re

from alfred.rules.text import simplify

# Things the home skills never change, said with the same verbs as a list command ("add the school play to
# my calendar", "delete my reminder", "pon una alarma", "apaga las luces"). Matched on folded text.
OUT_OF_SCOPE = re.compile(
    r"(?<![a-z0-9'])(?:"
    r"calendar|calendars|calendario|calendarios|agenda|diary|schedule|agendar|"
    r"reminder|reminders|remind|recordatorio|recordatorios|recuerdame|recuerdale|recuerdanos|recordarme|"
    r"alarm|alarms|alarma|alarmas|timer|timers|temporizador|temporizadores|"
    r"appointment|appointments|cita|citas|meeting|meetings|reunion|reuniones|event|events|evento|eventos|"
    r"turn\s+(?:on|off)|switch\s+(?:on|off)|enciende|encienda|apaga|apague|lights|luces|heating|calefaccion|"
    r"thermostat|termostato|volume|volumen"
    r")(?![a-z0-9'])"
)
# "delete everything", "borra todo", "clear the whole list", "delete all my lists": never a rule's guess.
EVERYTHING = re.compile(
    r"^(?:delete|remove|clear|wipe|empty|erase|scrap|borra|borralo|vacia|vacie|elimina|elimine|quita|"
    r"quite|limpia)\s+(?:(?:it|lo)\s+)?(?:everything|all|todo|toda|todos|todas|the\s+whole|la\s+lista\s+entera|"
    r"(?:the|my|our|la|mi)\s+(?:whole\s+|entire\s+)?(?:list|lista)s?(?:\s+entera)?$)"
)


def out_of_scope(folded: str) -> bool:
    """The request is about something the home skills do not change: the rules leave it alone."""
    return bool(OUT_OF_SCOPE.search(folded) or EVERYTHING.match(folded))


# Words that, inside an item name, show it is a piece of the sentence: list words, calendar words, verbs
# and helpers of a request, subject pronouns starting a clause, conjunctions that start another clause.
SENTENCE_WORDS = frozenset(
    """list lists lista listas listado calendar calendario agenda diary reminder recordatorio appointment cita
    add added adding put putting remove removed delete deleted include included
    anade anadido anadida pon puesto quita quitado borra borrado apunta apuntado
    so because cause coz then but can could would should will shall please
    porque pero luego entonces puedes podrias
    i you he she we they yo usted ella nosotros ellos
    my our your mi mis nuestra nuestro nuestras nuestros tus""".split()
)
# English prepositions that start a phrase no item name has ("salt to the soup", "car in the garage",
# "kids to bed"); "of" and "for" stay ("bag of rice", "food for the dog").
ENGLISH_PHRASE_WORDS = frozenset("to on onto in into from off at with before after about by".split())
# Spanish ones: "a" ("niños a natación"), "en" ("música en el salón"), "que" (a clause); "de"/"para"/"con"
# stay ("aceite de oliva", "comida para el perro", "café con leche").
SPANISH_PHRASE_WORDS = frozenset("a al en que sobre desde hasta".split())
# Words an item name never ends with: a phrase was cut in the middle ("pilas de", "salt and").
DANGLING_WORDS = frozenset("de del para con of for with and y e or o the la el los las".split())


def item_is_clean(name: str) -> bool:
    """No piece of the sentence in an item name: no list or calendar word, no verb or pronoun of the request,
    no phrase that says where it goes ("to my shopping", "en la lista")."""
    words = simplify(name).split()
    if not words:
        return False
    if any(word in SENTENCE_WORDS for word in words):
        return False
    if words[-1] in DANGLING_WORDS:
        return False
    return not any(word in ENGLISH_PHRASE_WORDS or word in SPANISH_PHRASE_WORDS for word in words)
