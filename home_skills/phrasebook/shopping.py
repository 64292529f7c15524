"""Shopping-list phrasings, English and Spanish: add ("we're out of milk", "apunta 1kg de tomates"), show,
check off, remove, clear bought, undo.

Precision first: every rule matches the whole request, item names are checked (no pronouns, no verbs,
no "a new sofa"), and anything doubtful returns None so the LLM or the fallback answers instead.
"""

import re
from typing import Any

from alfred.registry import Intent
from alfred.rules.numbers import NUMBER_PATTERN, number_value, plain_number
from alfred.rules.text import name_key, simplify
from alfred.rules.utterance import Utterance
from home_skills import selectors
from home_skills.models import AisleKeyword
from home_skills.vocabulary import CHORE_SYNONYMS, UNIT_WORDS

UNIT_PATTERN = "|".join(sorted(UNIT_WORDS, key=len, reverse=True))

# --- where the list is named ---------------------------------------------------------------------------
LIST_NAME = r"(?P<lname>[a-z0-9][a-z0-9'-]*(?: [a-z0-9'-]+)?)"
LIST_TAIL_EN = re.compile(
    r"\s*,?\s+(?:to|on|onto|in|into|from|off|for)\s+(?:the\s+|my\s+|our\s+|this\s+|that\s+)?"
    rf"(?:{LIST_NAME}\s+)?list$"
)
LIST_TAIL_ES = re.compile(
    r"\s*,?\s+(?:a|en|de|para|del)\s+(?:la\s+|mi\s+|nuestra\s+)?lista"
    rf"(?:\s+(?:de\s+la|de\s+las|de\s+los|del|de|para\s+la|para\s+el)\s+{LIST_NAME})?$"
)
# "…, add it to the pharmacy list", "…, apúntalo en la lista de la farmacia"
ADD_IT_TAIL = re.compile(
    r"(?:\s*,\s*|\s+|^)(?:(?:so|and)\s+)?(?:add|put|pop|stick)\s+(?:it|them|that|those)(?=\s|$)|"
    r"(?:\s*,\s*|\s+|^)(?:y\s+)?(?:apuntalo|apuntala|apuntalos|apuntalas|anadelo|anadela|anadelos|anadelas|ponlo|ponla|"
    r"ponlos|ponlas|agregalo|agregala|agregalos|agregalas)(?=\s|$)"
)
REMOVE_IT_TAIL = re.compile(
    r"(?:\s*,\s*|\s+|^)(?:(?:so|and)\s+)?(?:remove|delete|scratch|take off)\s+(?:it|them|that|those)(?:\s+off)?$|"
    r"(?:\s*,\s*|\s+|^)(?:y\s+)?(?:quitalo|quitala|quitalos|quitalas|borralo|borrala|borralos|borralas|eliminalo|eliminala|"
    r"eliminalos|eliminalas|tachalo|tachala|tachalos|tachalas)$"
)
# "…, we have loads", "…, ya tenemos": a reason given after a removal.
REASON_TAIL = re.compile(
    r"\s*,\s*(?:(?:we|i)\s+(?:have|'ve got|ve got|got|already have)|(?:ya\s+)?(?:tenemos|tengo|hay))(?:\s|$).*$"
)
# "…, i'm at the supermarket", "…, estoy en el súper": context after asking for the list.
PLACE_TAIL = re.compile(
    r"(?:\s*,\s*|\s+|^)(?:(?:i'?m|im|i am|we'?re|we are)\s+(?:at|in|going to)|(?:estoy|estamos)\s+en)\s+[a-z' ]{1,30}$"
)

# --- items ------------------------------------------------------------------------------------------------
SEPARATOR = re.compile(r"\s*,(?!\d)\s*(?:(?:and|y|e|&|plus)\s+)?|\s+(?:and|y|e|plus|n)\s+|\s*[&+]\s*")
LEADING_WORDS = re.compile(
    r"^(?:(?:the|some|more|any|extra|el|la|los|las|algo de|algunos|algunas|unos|unas|mas|un poco de|a bit of|"
    r"a little|another|otro|otra|otros|otras)\s+)+"
)
INDEFINITE = re.compile(r"^(?:a|an|un|una|one)\s+")
QUANTITY_RULES: list[tuple[re.Pattern[str], float | None]] = [
    (re.compile(r"^(?:half a dozen|half dozen|media docena)(?:\s+(?:of|de))?\s+(?P<name>.+)$"), 6),
    (re.compile(r"^(?:a\s+|one\s+|una\s+)?(?:dozen|docena)(?:\s+(?:of|de))?\s+(?P<name>.+)$"), 12),
    (re.compile(r"^(?:a\s+)?(?:couple|pair)(?:\s+of)?\s+(?P<name>.+)$"), 2),
    (re.compile(r"^un\s+par\s+de\s+(?P<name>.+)$"), 2),
    (re.compile(rf"^(?:half\s+an?|half|medio|media)\s+(?P<unit>{UNIT_PATTERN})\s+(?:(?:of|de)\s+)?(?P<name>.+)$"), 0.5),
    (re.compile(rf"^(?P<num>{NUMBER_PATTERN})\s*(?P<unit>{UNIT_PATTERN})\.?\s+(?:(?:of|de)\s+)?(?P<name>.+)$"), None),
    (re.compile(rf"^(?:a|an|un|una|one)\s+(?P<unit>{UNIT_PATTERN})\s+(?:of|de)\s+(?P<name>.+)$"), 1),
    (re.compile(r"^(?P<name>.+?)\s+[x×]\s*(?P<num>\d+)$"), None),
    (re.compile(r"^(?P<num>\d+)\s*[x×]\s+(?P<name>.+)$"), None),
    (re.compile(rf"^(?P<num>{NUMBER_PATTERN})\s+(?P<name>.+)$"), None),
]
# Never an item: pronouns, "everything", and the usual objects of "we need …" that are not groceries.
NOT_ITEMS = frozenset(
    """it that this them those these one ones something anything everything nothing stuff things some all
    lo eso esto ello algo nada todo todos esas esos estas estos uno
    help ayuda problem problema problemas time tiempo prisa way manera forma rush worries idea plan break
    talk talking hablar school cole colegio clase money dinero sitio luz power wifi internet coche car
    home back here there ready nobody anyone anybody someone nadie alguien more mas list lista fiesta party
    paciencia patience cuento rollo
    you u me him her us te nos le les""".split()
)
# Words that start something other than an item ("we need to leave", "necesitamos que…", "add a chore").
NOT_ITEM_STARTS = frozenset(
    """to for if that que de para si when cuando a an how como why porque chore chores task tarea tareas
    reminder recordatorio event evento appointment cita""".split()
)
COMMON_VERBS = frozenset(
    """hablar ir salir hacer comer cenar limpiar descansar dormir ver llamar pagar saber ordenar comprar
    hablarlo pensar decidir irnos vernos""".split()
)
# An object pronoun anywhere in a would-be item ("eggs on it", "sort it") means the words are about
# something else: better a miss for the LLM than an item nobody asked for.
PRONOUNS_ANYWHERE = frozenset("it them this that those these lo eso esto".split())
# Imperatives that start a request rather than name a product ("sort it out", "handle the eggs").
ENGLISH_VERBS = frozenset(
    """sort fix handle check make do go clean cook call pay tell show find look see let give keep remember
    organise organize tidy deal figure help bring""".split()
)
CHORE_WORDS = frozenset(word for group in CHORE_SYNONYMS for word in group)
MAX_ITEM_WORDS = 8


def list_name(raw: str | None) -> str | None:
    return selectors.shopping_list_canonical_name(raw) if raw else None


def strip_list_tail(u: Utterance) -> tuple[Utterance, str | None, bool]:
    """The request without its "to the … list" ending, the list named there (None = default), and
    whether a list was named at all."""
    for tail in (LIST_TAIL_EN, LIST_TAIL_ES):
        found = tail.search(u.folded)
        if found:
            raw = found.group("lname")
            return u.cut(0, found.start()), list_name(raw), True
    return u, None, False


def _known_keywords() -> dict[str, int]:
    return dict(AisleKeyword.objects.values_list("keyword", "aisle_id"))


def split_enumeration(chunk: Utterance, known: dict[str, int]) -> list[Utterance]:
    """ "onions garlic" inside "onions garlic and tomatoes" is two items when each word is a known item of the
    same aisle and the pair is not itself a known item; "chicken thighs" or "olive oil" stay whole."""
    words = list(re.finditer(r"\S+", chunk.folded))
    if len(words) < 2 or name_key(chunk.folded) in known:
        return [chunk]
    aisles = {known.get(name_key(word.group())) for word in words}
    if None in aisles or len(aisles) != 1:
        return [chunk]
    return [chunk.cut(word.start(), word.end()) for word in words]


def split_items(u: Utterance) -> list[Utterance]:
    chunks: list[Utterance] = []
    position = 0
    separators = list(SEPARATOR.finditer(u.folded))
    for separator in separators:
        chunks.append(u.cut(position, separator.start()))
        position = separator.end()
    chunks.append(u.cut(position, len(u.folded)))
    chunks = [chunk for chunk in chunks if chunk.folded]
    uses_commas = "," in u.folded
    if len(chunks) >= 2 and not uses_commas:
        known = _known_keywords()
        chunks = [piece for chunk in chunks for piece in split_enumeration(chunk, known)]
    return chunks


def parse_item(chunk: Utterance, *, strict: bool) -> dict[str, Any] | None:
    """One item: name as said, quantity (digits, words, "a dozen", "half a kilo") and canonical unit.
    ``strict`` (for "we need…"-style sentences) also refuses "a plan"-like objects."""
    text = chunk.folded
    lead = LEADING_WORDS.match(text)
    if lead:
        chunk = chunk.cut(lead.end(), len(text))
        text = chunk.folded
    quantity: float | None = None
    unit = ""
    for rule, fixed in QUANTITY_RULES:
        found = rule.match(text)
        if not found:
            continue
        if "num" in found.groupdict():
            value = number_value(found.group("num"))
            if value is None:
                continue
            quantity = value
        else:
            quantity = fixed
        if "unit" in found.groupdict():
            unit = UNIT_WORDS[found.group("unit")]
        chunk = chunk.group(found, "name")
        break
    else:
        if strict and INDEFINITE.match(text):
            return None
        indefinite = INDEFINITE.match(text)
        if indefinite:
            chunk = chunk.cut(indefinite.end(), len(text))
    lead = LEADING_WORDS.match(chunk.folded)
    if lead:
        chunk = chunk.cut(lead.end(), len(chunk.folded))
    name = chunk.original.strip()
    if not acceptable_name(chunk.folded, strict=strict):
        return None
    item: dict[str, Any] = {"name": name}
    if quantity is not None:
        item["quantity"] = plain_number(quantity)
    if unit:
        item["unit"] = unit
    return item


def acceptable_name(folded: str, *, strict: bool) -> bool:
    words = simplify(folded).split()
    if not words or len(words) > MAX_ITEM_WORDS:
        return False
    if " ".join(words) in NOT_ITEMS or " ".join(words) in CHORE_WORDS or words[0] in NOT_ITEM_STARTS:
        return False
    if words[0] in ENGLISH_VERBS or any(word in PRONOUNS_ANYWHERE for word in words):
        return False
    return not (strict and (words[0] in COMMON_VERBS or len(words) > 5))


def parse_items(u: Utterance, *, strict: bool = False) -> list[dict[str, Any]] | None:
    chunks = split_items(u)
    if not chunks:
        return None
    items = []
    for chunk in chunks:
        item = parse_item(chunk, strict=strict)
        if item is None:
            return None
        items.append(item)
    return items


def intent(tool: str, items: list[dict[str, Any]] | None = None, shopping_list: str | None = None) -> list[Intent]:
    args: dict[str, Any] = {}
    if items is not None:
        args["items"] = items
    if shopping_list:
        args["list"] = shopping_list
    return [Intent(tool, args)]


# --- the rules ----------------------------------------------------------------------------------------------
EXPLICIT_ADD = re.compile(
    r"^(?:(?:also|and|then|y)\s+)?(?:(?:i|we)\s+)?"
    r"(?:add|put|pop|stick|include|buy|anade|anadir|agrega|agregar|pon|ponme|poned|apunta|apuntame|apuntad|"
    r"apuntar|anota|anotame|anotar|mete|meter|incluye|compra|comprad|comprar|hay que anadir)\s+(?P<items>.+)$"
)
IMPLICIT_ADD = re.compile(
    r"^(?:"
    r"(?:we|i)\s+(?:need|needs|'ll need|will need|also need|still need)|need|needs|"
    r"(?:we'?re|we are|were|i'?m|im|i am)\s+(?:all\s+|completely\s+)?out\s+of|(?:all\s+)?out\s+of|"
    r"(?:we'?ve|we have|we|i'?ve|i have|i)\s+(?:just\s+)?(?:run|ran)\s+out\s+of|"
    r"(?:we'?re|we are|were|i'?m|im)?\s*running\s+(?:low|out)\s+(?:on|of)|(?:we'?re|we are)\s+low\s+on|low\s+on|"
    r"(?:there'?s|there is|theres)\s+no(?:\s+more)?|no\s+more|"
    r"necesitamos|necesito|hace\s+falta|hacen\s+falta|falta|faltan|nos\s+falta|nos\s+faltan|"
    r"hay\s+que\s+comprar|tenemos\s+que\s+comprar|habria\s+que\s+comprar|"
    r"(?:ya\s+)?no\s+(?:nos\s+)?(?:queda|quedan)(?:\s+mas)?|(?:ya\s+)?no\s+hay(?:\s+mas)?|"
    r"se\s+(?:nos\s+)?(?:acabo|acabaron|termino|terminaron|ha\s+acabado|han\s+acabado|ha\s+terminado|"
    r"han\s+terminado|esta\s+acabando|estan\s+acabando)|"
    r"nos\s+(?:hemos\s+)?(?:quedamos|quedado)\s+sin|estamos\s+sin|me\s+(?:he\s+)?(?:quedado|quede)\s+sin|"
    r"(?:queda|quedan)\s+(?:poco|poca|pocos|pocas)(?:\s+de)?"
    r")\s+(?:more\s+|some\s+more\s+|some\s+)?(?P<items>.+?)(?:\s+(?:left|anymore|any more))?$"
)
SHOW_RULES = [
    re.compile(rf"^(?:what'?s|what is|whats|what)\s+(?:on|in)\s+(?:the|our|my)\s+(?:{LIST_NAME}\s+)?list$"),
    re.compile(rf"^(?:is\s+there\s+)?anything\s+(?:on|in)\s+(?:the|our|my)\s+(?:{LIST_NAME}\s+)?list$"),
    re.compile(
        r"^(?:show|send|give|tell|read|share|text|read out)\s+(?:me\s+|us\s+)?(?:the|our|my)\s+"
        rf"(?:{LIST_NAME}\s+)?list(?:\s+(?:again|now))?$"
    ),
    re.compile(rf"^(?:the\s+)?(?:(?!(?:add|new|clear|delete|remove|make|create|empty|my|a)\s){LIST_NAME}\s+)?list$"),
    re.compile(
        r"^what\s+do\s+(?:we|i)\s+(?:need|still need|have to buy|need to buy|need to get|have to get)"
        r"(?:\s+(?:from|at)\s+the\s+(?P<place>[a-z]+))?$"
    ),
    re.compile(r"^(?:what'?s|what is|whats)\s+(?:left|missing)\s+(?:to\s+(?:buy|get)|on\s+the\s+list)$"),
    re.compile(
        r"^(?:que|q)\s+(?:hay|tenemos|queda|quedan|pone|falta)\s+en\s+(?:la|mi|nuestra)\s+lista"
        rf"(?:\s+(?:de\s+la|de\s+las|de\s+los|del|de)\s+{LIST_NAME})?$"
    ),
    re.compile(
        r"^(?:que|q)\s+(?:nos\s+)?(?:falta|faltan|hace\s+falta|queda|quedan)(?:\s+(?:por|que|para)\s+comprar)?"
        r"(?:\s+(?:de|en)\s+la\s+(?P<place>[a-z]+))?$"
    ),
    re.compile(
        r"^(?:que|q)\s+(?:necesitamos|necesito|tenemos\s+que\s+comprar|hay\s+que\s+comprar|compro|compramos)"
        r"(?:\s+(?:de|en)\s+la\s+(?P<place>[a-z]+))?$"
    ),
    re.compile(
        r"^(?:ensename|muestrame|pasame|mandame|enviame|dame|dime|me\s+mandas|me\s+pasas|me\s+ensenas|me\s+envias|"
        r"me\s+dices|me\s+das|mandas|pasas)\s+la\s+lista"
        rf"(?:\s+(?:de\s+la|de\s+las|de\s+los|del|de)\s+{LIST_NAME})?$"
    ),
    re.compile(rf"^(?:la\s+lista|lista\s+(?:de\s+la|de\s+las|de\s+los|del|de)\s+{LIST_NAME})$"),
    re.compile(rf"^la\s+lista\s+(?:de\s+la|de\s+las|de\s+los|del|de)\s+{LIST_NAME}$"),
]
BOUGHT_RULES = [
    re.compile(
        r"^(?:(?P<who>[a-z]+)\s+)?(?:(?:just|already|finally|also)\s+)?"
        r"(?:got|bought|picked\s+up|grabbed|purchased|'ve\s+got|ve\s+got|have\s+got|'ve\s+bought|have\s+bought|"
        r"'ve\s+picked\s+up|has\s+bought|has\s+got)\s+(?P<items>.+)$"
    ),
    re.compile(r"^(?:i|we)\s+(?:have|'ve\s+got|ve\s+got|got)\s+(?P<items>the\s+.+)$"),
    re.compile(
        r"^mark\s+(?P<items>.+?)\s+(?:as\s+)?(?:bought|done|purchased|got|ticked|ticked off|checked|checked off)$"
    ),
    re.compile(r"^(?:tick|check|cross)\s+off\s+(?P<items>.+)$"),
    re.compile(r"^(?:tick|check|cross)\s+(?P<items>.+?)\s+off$"),
    re.compile(
        r"^(?:(?P<who>[a-z]+)\s+)?(?:ya\s+)?(?:compre|he\s+comprado|hemos\s+comprado|ha\s+comprado|han\s+comprado|"
        r"compramos|cogi|he\s+cogido|hemos\s+cogido|ha\s+cogido|pille|he\s+pillado|traje|he\s+traido|"
        r"ya\s+compre)\s+(?P<items>.+)$"
    ),
    re.compile(r"^(?:ya\s+)?(?:tengo|tenemos)\s+(?P<items>(?:el|la|los|las)\s+.+)$"),
    re.compile(r"^marca\s+(?P<items>.+?)\s+como\s+(?:comprado|comprada|comprados|compradas|hecho|hecha)$"),
    re.compile(r"^tacha\s+(?P<items>.+)$"),
    re.compile(r"^(?:ya\s+)?(?P<items>.+?)\s+(?:comprado|comprada|comprados|compradas)$"),
]
# Words the optional subject slot may catch that are not a person ("just got…", "ya compré…").
SUBJECTS = frozenset({"i", "we", "yo", "ya", "just", "already", "finally", "also", "nosotros"})
REMOVE_RULES = [
    re.compile(
        r"^(?:remove|delete|scratch|erase|cross\s+out|drop|quita|quitar|borra|borrar|elimina|eliminar)\s+(?P<items>.+)$"
    ),
    re.compile(r"^take\s+(?P<items>.+?)\s+off$"),
    re.compile(r"^take\s+off\s+(?P<items>.+)$"),
]
# Only with "… de la lista" / "… off the list": "saca la basura" is a chore, "take the milk" is nothing.
NAMED_REMOVE_RULES = [re.compile(r"^saca\s+(?P<items>.+)$"), re.compile(r"^take\s+(?P<items>.+)$")]
NO_LONGER_NEEDED = re.compile(
    r"^(?:(?:we|i)\s+(?:don'?t|do not|dont|no longer)\s+need|(?:ya|al final)\s+no\s+(?:hace\s+falta|hacen\s+falta|"
    r"necesitamos|necesito))\s+(?P<items>.+?)(?P<anymore>\s+(?:anymore|any more|after all|ya))?$"
)
CLEAR_RULES = [
    re.compile(
        r"^(?:clear|clean\s+up|clean|remove|delete|archive|tidy\s+up|tidy|empty|get\s+rid\s+of|wipe)\s+(?:out\s+)?"
        r"(?:all\s+)?(?:of\s+)?(?:the\s+|my\s+|our\s+)?(?:bought|ticked(?:\s+off)?|checked(?:\s+off)?|"
        r"crossed(?:\s+off)?|purchased)(?:\s+(?:items|stuff|things|ones|products|lines))?$"
    ),
    re.compile(
        r"^(?:clear|remove|delete|archive|get\s+rid\s+of)\s+(?:everything|all|all\s+the\s+(?:items|stuff|things)|"
        r"the\s+(?:items|stuff|things|ones)|what|whatever)\s+(?:that\s+)?(?:(?:we|i)(?:'ve|\s+have|\s+ve)?\s+)?"
        r"(?:already\s+)?(?:bought|got|ticked\s+off|checked\s+off|purchased)$"
    ),
    re.compile(
        r"^(?:borra|limpia|quita|elimina|archiva|vacia)\s+(?:todo\s+)?(?:lo|los|las)\s+(?:que\s+)?(?:ya\s+)?"
        r"(?:hemos\s+|he\s+|has\s+|habeis\s+)?(?:comprado|comprados|compradas|tachado|tachados|tachadas)$"
    ),
]
UNDO = re.compile(
    r"^(?:(?:oops|oopsie|whoops|oh|ah|wait|no|nope|sorry|uy|ups|ay|perdon|espera|vaya)(?:[\s,.]+|$))*"
    r"(?:undo|deshacer|deshaz|desaz|revert|reverse)"
    r"(?:\s+(?:that|it|this|the\s+last\s+(?:thing|change|one|action|bit)|last\s+(?:thing|change|one)|the\s+last|"
    r"eso|esto|lo\s+ultimo|el\s+ultimo\s+cambio|lo\s+anterior|lo\s+de\s+antes))?$"
)


class ShoppingPhrasebook:
    def match(self, text: str, language: str) -> list[Intent] | None:
        u = Utterance.of(text)
        if not u.folded:
            return None
        for rule in (self.undo, self.clear, self.show, self.remove, self.bought, self.add):
            found = rule(u)
            if found:
                return found
        return None

    def undo(self, u: Utterance) -> list[Intent] | None:
        return intent("grocery_undo") if UNDO.match(u.folded) else None

    def clear(self, u: Utterance) -> list[Intent] | None:
        rest, shopping_list, _named = strip_list_tail(u)
        if any(rule.match(rest.folded) for rule in CLEAR_RULES):
            return intent("grocery_clear_bought", shopping_list=shopping_list)
        return None

    def show(self, u: Utterance) -> list[Intent] | None:
        text = PLACE_TAIL.sub("", u.folded)
        for rule in SHOW_RULES:
            found = rule.match(text)
            if not found:
                continue
            groups = found.groupdict()
            if groups.get("place"):
                place = groups["place"]
                known = selectors.shopping_list_find(place)
                if known is None and simplify(place) not in selectors.DEFAULT_LIST_WORDS:
                    return None
                return intent("grocery_show", shopping_list=list_name(place))
            return intent("grocery_show", shopping_list=list_name(groups.get("lname")))
        return None

    def remove(self, u: Utterance) -> list[Intent] | None:
        reason = REASON_TAIL.search(u.folded)
        if reason:
            u = u.cut(0, reason.start())
        rest, shopping_list, named = strip_list_tail(u)
        found = NO_LONGER_NEEDED.match(rest.folded)
        if found:
            told = REMOVE_IT_TAIL.search(rest.folded)
            if told:
                rest = rest.cut(0, told.start())
                found = NO_LONGER_NEEDED.match(rest.folded)
            if found and (told or found.group("anymore") or rest.folded.startswith(("ya ", "al final"))):
                items = parse_items(rest.group(found, "items"))
                return intent("grocery_remove", items, shopping_list) if items else None
            return None
        rules = [*REMOVE_RULES, *NAMED_REMOVE_RULES] if named else REMOVE_RULES
        for rule in rules:
            found = rule.match(rest.folded)
            if found:
                items = parse_items(rest.group(found, "items"))
                return intent("grocery_remove", items, shopping_list) if items else None
        return None

    def bought(self, u: Utterance) -> list[Intent] | None:
        rest, shopping_list, _named = strip_list_tail(u)
        for rule in BOUGHT_RULES:
            found = rule.match(rest.folded)
            if not found:
                continue
            who = found.groupdict().get("who")
            if who and who not in SUBJECTS and selectors.member_find(who) is None:
                return None
            items = parse_items(rest.group(found, "items"), strict=True)
            return intent("grocery_bought", items, shopping_list) if items else None
        return None

    def add(self, u: Utterance) -> list[Intent] | None:
        told = ADD_IT_TAIL.search(u.folded)
        if told:
            # "we ran out of shampoo, add it to the pharmacy list": the list is named after "add it".
            _ignored, shopping_list, _named = strip_list_tail(u.cut(told.start(), len(u.folded)))
            rest = u.cut(0, told.start())
        else:
            rest, shopping_list, _named = strip_list_tail(u)
        found = EXPLICIT_ADD.match(rest.folded)
        strict = False
        if not found:
            found = IMPLICIT_ADD.match(rest.folded)
            strict = True
        if not found:
            return None
        items = parse_items(rest.group(found, "items"), strict=strict)
        return intent("grocery_add", items, shopping_list) if items else None
