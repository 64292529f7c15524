"""Is a slot a name, or a piece of the sentence? The sanity check every rule runs on what it extracted
before it lets a tool write ("tissues so can you", "vet appointment from my calendar", "crisps added").

Two kinds of slot:

- a **thing** (a product, an object to pack, a contact's name): no list or calendar word, no verb or helper
  of the request, no pronoun, no phrase saying where it goes ("to my shopping", "en la lista");
- a **task** (a line of a to-do list: "call the plumber", "llamar al fontanero"): verbs and prepositions
  belong to it, but the request's own verbs, list and calendar words, clause words and pronouns do not.

A rule whose slot fails the check abstains: the LLM or the fallback answers instead, and nothing is written.
Every word here is *simplified* (``text.simplify``), English and Spanish.
"""

from typing import Literal

from alfred.rules.text import simplify

# Words that name a list, a calendar or a reminder: never part of what goes on a list.
LIST_WORDS = frozenset("list lists lista listas listado listados".split())
CALENDAR_WORDS = frozenset(
    """calendar calendario agenda diary reminder reminders recordatorio recordatorios appointment cita""".split()
)
# The verbs a request is made with ("add", "apunta"), in the forms a leftover takes.
REQUEST_VERBS = frozenset(
    """add added adding put putting remove removed delete deleted include included
    anade anadido anadida pon puesto quita quitado borra borrado apunta apuntado""".split()
)
# Words that join a second clause or ask for something: "tissues so can you", "pan porque".
CLAUSE_WORDS = frozenset(
    """so because cause coz then but can could would should will shall please
    porque pero luego entonces puedes podrias""".split()
)
# "put eggs on it", "add them": a pronoun stands for something said elsewhere, never a name.
OBJECT_PRONOUNS = frozenset("it them this that those these lo eso esto ello".split())
SUBJECT_PRONOUNS = frozenset("i you he she we they yo usted ella nosotros ellos".split())
POSSESSIVES = frozenset("my our your mi mis nuestra nuestro nuestras nuestros tus".split())
# English prepositions that start a phrase no thing's name has ("salt to the soup", "car in the garage",
# "kids to bed"); "of" and "for" stay ("bag of rice", "food for the dog").
ENGLISH_PHRASE_WORDS = frozenset("to on onto in into from off at with before after about by".split())
# Spanish ones: "a" ("niños a natación"), "en" ("música en el salón"), "que" (a clause); "de"/"para"/"con"
# stay ("aceite de oliva", "comida para el perro", "café con leche").
SPANISH_PHRASE_WORDS = frozenset("a al en que sobre desde hasta".split())
# Words a name never ends with: a phrase was cut in the middle ("pilas de", "salt and").
DANGLING_WORDS = frozenset("de del para con of for with and y e or o the la el los las".split())

THING_FORBIDDEN = (
    LIST_WORDS
    | CALENDAR_WORDS
    | REQUEST_VERBS
    | CLAUSE_WORDS
    | SUBJECT_PRONOUNS
    | POSSESSIVES
    | OBJECT_PRONOUNS
    | ENGLISH_PHRASE_WORDS
    | SPANISH_PHRASE_WORDS
)
# A task keeps its verbs, prepositions and possessives ("pay my taxes at the bank"), never the request's.
TASK_FORBIDDEN = LIST_WORDS | CALENDAR_WORDS | REQUEST_VERBS | CLAUSE_WORDS | SUBJECT_PRONOUNS
# A task never ends on a possessive or a preposition: "call mom to my" is a list phrase cut short.
TASK_DANGLING = DANGLING_WORDS | POSSESSIVES | ENGLISH_PHRASE_WORDS | SPANISH_PHRASE_WORDS

SlotKind = Literal["thing", "task"]


def slot_is_clean(name: str, *, kind: SlotKind = "thing") -> bool:
    """No piece of the sentence in a slot: see the module's docstring for what each kind allows."""
    words = simplify(name).split()
    # "add 2 and 2": a name has letters.
    if not words or not any(char.isalpha() for char in "".join(words)):
        return False
    if kind == "task":
        # "fix it" is a task; "it", "that to the list" or "to remember to call mom" (a clause's leftover) is not.
        starts = words[0] in OBJECT_PRONOUNS or words[0] in TASK_DANGLING
        return not (starts or any(word in TASK_FORBIDDEN for word in words) or words[-1] in TASK_DANGLING)
    return not (any(word in THING_FORBIDDEN for word in words) or words[-1] in DANGLING_WORDS)
