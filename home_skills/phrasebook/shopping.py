"""Shopping-list phrasings, English and Spanish: add ("we're out of milk", "apunta 1kg de tomates"), show,
check off, remove, clear bought, undo.

Precision first: every rule matches the whole request, item names are checked (no pronouns, no verbs,
no "a new sofa"), and anything doubtful returns None so the LLM or the fallback answers instead.
"""

import itertools
import re
from typing import Any, NamedTuple

from alfred.registry import Intent
from alfred.rules.numbers import NUMBER_PATTERN, number_value, plain_number
from alfred.rules.text import name_key, simplify
from alfred.rules.utterance import Utterance
from home_skills import selectors
from home_skills.models import AisleKeyword
from home_skills.phrasebook.common import item_is_clean, out_of_scope
from home_skills.vocabulary import CHORE_SYNONYMS, UNIT_WORDS

UNIT_PATTERN = "|".join(sorted(UNIT_WORDS, key=len, reverse=True))

# --- where the list is named ---------------------------------------------------------------------------
# "comprado", "hechas", "realizada", "completados": the states a line is marked as or given ("dar por …").
BOUGHT_STATE_ES = r"(?:comprad[oa]s?|hech[oa]s?|completad[oa]s?|realizad[oa]s?|terminad[oa]s?|list[oa]s?|tachad[oa]s?)"
LIST_NAME = r"(?P<lname>[a-z0-9][a-z0-9'-]*(?: [a-z0-9'-]+)?)"
LIST_TAIL_EN = re.compile(
    r"\s*,?\s+(?:off\s+)?(?:to|on|onto|in|into|from|off|for)\s+(?:the\s+|my\s+|our\s+|this\s+|that\s+)?"
    rf"(?:{LIST_NAME}\s+)?list$"
)
# "… to my list of groceries", "… on the list of things to buy": the default list, said at length.
LIST_TAIL_OF = re.compile(
    r"\s*,?\s+(?:to|on|onto|in|into|from|off)\s+(?:the\s+|my\s+|our\s+)?list\s+of\s+(?:(?P<lname>groceries|shopping)|"
    r"(?:things|stuff|items)\s+(?:to\s+(?:buy|get)|(?:i|we)\s+need(?:\s+to\s+(?:buy|get))?))$"
)
LIST_TAIL_ES = re.compile(
    r"\s*,?\s+(?:a|en|de|para|del|al)\s+(?:(?:la|el|mi|mis|nuestra|tu|su)\s+)?(?:lista|listado)"
    rf"(?:\s+(?:(?:de\s+la|de\s+las|de\s+los|del|de|para\s+la|para\s+el)\s+)?{LIST_NAME})?$"
)
# "… to my shopping", "… from the pharmacy", "… de la farmacia": a list named without the word "list"
# counts only when it is a list we have (or the default list's own words), never a place in a sentence.
BARE_LIST_TAIL = re.compile(
    r"\s*,?\s+(?:off\s+)?(?:to|on|onto|in|into|from|off|a|en|de|del)\s+(?:(?:the|my|our|la|las|el|los|mi|mis|nuestra)\s+)?"
    r"(?P<lname>to\s+do|to-do|[a-z]+)$"
)
# Spanish (and some English) put the list first: "añade a la lista de la compra yogures", "add to the
# shopping list: milk". The verb is checked by the rule that uses it.
LIST_HEAD = re.compile(
    rf"^(?P<verb>[a-z]+(?:\s+(?:off|por\s+{BOUGHT_STATE_ES}))?)"
    r"\s+(?:(?:a|en|al|de|del|to|on|onto|in|into|from|off)\s+)(?:(?:la|el|mi|mis|nuestra|the|my|our)\s+)?"
    r"(?:(?:(?P<lname_en>to\s+do|to-do|[a-z]+)\s+)?list|(?:lista|listado)(?:\s+(?:(?P<of>de\s+la|de\s+las|de\s+los|del|de)\s+)?"
    r"(?P<lname>[a-z]+))?)\s*:?\s+(?P<items>.+)$"
)
# "añade a la compra leche", "quita de la farmacia las tiritas", "add to packing sunscreen": the list named
# first without the word "list", taken only when it is a list we have or a kind of list.
BARE_LIST_HEAD = re.compile(
    rf"^(?P<verb>[a-z]+(?:\s+(?:off|por\s+{BOUGHT_STATE_ES}))?)"
    r"\s+(?:a|en|al|de|del|to|on|onto|in|into|from|off)\s+(?:(?:la|el|mi|mis|nuestra|the|my|our)\s+)?"
    r"(?P<lname>to\s+do|to-do|[a-z]+)\s*:?\s+(?P<items>.+)$"
)
# "…, add it to the pharmacy list", "…, apúntalo en la lista de la farmacia"
ADD_IT_TAIL = re.compile(
    r"(?:\s*,\s*|\s+|^)(?:(?:so|and)\s+)?(?:(?:can|could|would|will)\s+(?:you|u)\s+(?:please\s+)?)?"
    r"(?:add|put|pop|stick)\s+(?:it|them|that|those)(?=\s|$)|"
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
    r"(?:[\s,]*,[\s,]*|\s+|^)(?:(?:i'?m|im|i am|we'?re|we are)\s+(?:at|in|going to)|(?:estoy|estamos)\s+en)"
    r"\s+[a-z' ]{1,30}$"
)

# --- items ------------------------------------------------------------------------------------------------
SEPARATOR = re.compile(r"\s*,(?!\d)\s*(?:(?:and|y|e|&|plus)\s+)?|\s+(?:and|y|e|plus|n)\s+|\s*[&+]\s*")
LEADING_WORDS = re.compile(
    r"^(?:(?:the|some|more|any|extra|el|la|los|las|algo de|algunos|algunas|unos|unas|mas|un poco de|a bit of|"
    r"a little|another|otro|otra|otros|otras|ya|already)\s+)+"
)
INDEFINITE = re.compile(r"^(?:a|an|un|una|one)\s+")
QUANTITY_RULES: list[tuple[re.Pattern[str], float | None]] = [
    (re.compile(r"^(?:half a dozen|half dozen|media docena)(?:\s+(?:of|de))?\s+(?P<name>.+)$"), 6),
    (re.compile(r"^(?:a\s+|one\s+|una\s+)?(?:dozen|docena)(?:\s+(?:of|de))?\s+(?P<name>.+)$"), 12),
    (re.compile(rf"^(?P<dozens>{NUMBER_PATTERN})\s+(?:dozens?|docenas?)(?:\s+(?:of|de))?\s+(?P<name>.+)$"), 12),
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
    paciencia patience cuento rollo tasks task items item
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
CHORE_LIST_WORDS = frozenset({"chore", "chores", "house chores", "household chores"})
MAX_ITEM_WORDS = 8


def list_name(raw: str | None) -> str | None:
    return selectors.shopping_list_canonical_name(raw) if raw else None


def strip_list_tail(u: Utterance) -> tuple[Utterance, str | None, bool]:
    """The request without its "to the … list" ending, the list named there (None = default), and
    whether a list was named at all."""
    for tail in (LIST_TAIL_OF, LIST_TAIL_EN, LIST_TAIL_ES):
        found = tail.search(u.folded)
        while found:
            raw = found.group("lname")
            if not raw or list_kind(raw) or item_is_clean(raw):
                return u.cut(0, found.start()), list_name(raw), True
            # "off batteries in list": never a list called "batteries in"; the tail may start further on.
            found = tail.search(u.folded, found.start() + 1)
    found = BARE_LIST_TAIL.search(u.folded)
    if found and (known_list(found.group("lname")) or list_kind(found.group("lname"))):
        return u.cut(0, found.start()), list_name(found.group("lname")), True
    return u, None, False


def holds_tasks(shopping_list: str | None) -> bool:
    return selectors.shopping_list_holds_tasks(shopping_list)


TOWARDS_WORDS = frozenset("to onto into a al".split())


def list_kind(name: str) -> bool:
    """A word that names a kind of list ("packing", "to do", "tareas"), said without the word "list"."""
    return simplify(name) in selectors.LIST_KIND_WORDS


def known_list(name: str | None) -> bool:
    """A name that is one of our lists (or its alias), or the default list's own words."""
    if not name:
        return True
    return simplify(name) in selectors.DEFAULT_LIST_WORDS or selectors.shopping_list_find(name) is not None


class ListHead(NamedTuple):
    items: Utterance
    shopping_list: str | None
    # The list is one we have or a kind of list; else a name the message gave, trusted only with products.
    known: bool


def strip_list_head(u: Utterance, verbs: frozenset[str]) -> ListHead | None:
    """ "añade a la lista de la compra yogures": the items after a list named first, and that list; None
    when the message does not start so, the verb is not one of ``verbs`` or the list is surely no list."""
    found = LIST_HEAD.match(u.folded)
    if not found or found.group("verb") not in verbs:
        bare = BARE_LIST_HEAD.match(u.folded)
        if not bare or bare.group("verb") not in verbs:
            return None
        raw = bare.group("lname")
        if not (known_list(raw) or list_kind(raw)):
            return None
        return ListHead(u.group(bare, "items"), list_name(raw), True)
    raw = found.group("lname") or found.group("lname_en")
    # Named with "de" ("la lista de viaje …") or before "list" ("the camping list …") a name is surely the
    # list's; a bare word after "lista" may be the first item ("a la lista leche y pan") unless it is a list.
    named = bool(found.group("lname_en") or (found.group("lname") and found.group("of")))
    known = known_list(raw) or list_kind(raw or "")
    if not (known or (named and item_is_clean(raw or ""))):
        return None
    return ListHead(u.group(found, "items"), list_name(raw), known)


def head_items(head: ListHead, *, strict: bool = False) -> list[dict[str, Any]] | None:
    """The items after a list named first. A list we do not have may have a longer name than the one word
    taken ("la lista de cosas pendientes arroz"): then only products we know count as the items."""
    task = holds_tasks(head.shopping_list)
    items = parse_items(head.items, strict=strict, task=task)
    if items and not (head.known or task or all_keywords(items)):
        return None
    return items


def all_keywords(items: list[dict[str, Any]]) -> bool:
    """Every name is, whole, a product of the aisle dictionary or an open line of a list: "pilas", not
    "pendientes arroz" or "milk out of the fridge"."""
    known = _known_keywords()
    keys = {name_key(str(item["name"])) for item in items}
    unknown = {key for key in keys if key not in known}
    return not unknown or len(unknown) == selectors.items_open_named(unknown)


def said_towards(u: Utterance, rest: Utterance) -> bool:
    """The list was named with "to"/"a" ("take the dog to packing"): a place things go, never where they
    are taken off or checked off."""
    words = [word for word in u.folded[len(rest.folded) :].replace(",", " ").split() if word != "off"]
    return bool(words) and words[0] in TOWARDS_WORDS


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
    elif len(chunks) == 1 and chunks[0].folded.count(" ") >= 2:
        chunks = split_run(chunks[0], _known_keywords())
    return chunks


def split_run(chunk: Utterance, known: dict[str, int]) -> list[Utterance]:
    """ "milk eggs bread", typed without commas: three or more words, each a product of the dictionary, no
    two neighbours one product ("peanut butter"), are that many items."""
    words = list(re.finditer(r"\S+", chunk.folded))
    keys = [name_key(word.group()) for word in words]
    if name_key(chunk.folded) in known or not all(key in known for key in keys):
        return [chunk]
    if any(f"{left} {right}" in known for left, right in itertools.pairwise(keys)):
        return [chunk]
    return [chunk.cut(word.start(), word.end()) for word in words]


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
        if "num" in found.groupdict() or "dozens" in found.groupdict():
            value = number_value(found.group("num" if "num" in found.groupdict() else "dozens"))
            if value is None:
                continue
            quantity = value * (fixed or 1)
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
            # "add a new contact", "añade una nueva cita": something to create, not to buy.
            if chunk.folded.startswith(("new ", "nuevo ", "nueva ")):
                return None
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
    if not item_is_clean(folded):
        return False
    return not (strict and (words[0] in COMMON_VERBS or len(words) > 5))


# A to-do list's lines are split on commas only: "call mom and dad" is one task.
TASK_SEPARATOR = re.compile(r"\s*[,;]\s*(?:(?:and|y|e)\s+)?")


def parse_tasks(u: Utterance) -> list[dict[str, Any]] | None:
    """The lines of a to-do list, as said: a task keeps its verb and prepositions ("call the plumber",
    "llamar al fontanero") and passes the task check of ``alfred.rules.slots``; no quantities."""
    pieces = []
    position = 0
    for separator in TASK_SEPARATOR.finditer(u.folded):
        pieces.append(u.cut(position, separator.start()))
        position = separator.end()
    pieces.append(u.cut(position, len(u.folded)))
    tasks = []
    for chunk in pieces:
        words = simplify(chunk.folded).split()
        if not words or len(words) > MAX_ITEM_WORDS or " ".join(words) in NOT_ITEMS:
            return None
        if not item_is_clean(chunk.folded, task=True):
            return None
        tasks.append({"name": chunk.original.strip()})
    return tasks or None


def parse_items(u: Utterance, *, strict: bool = False, task: bool = False) -> list[dict[str, Any]] | None:
    """The items said in ``u``; on a to-do list (``task``), its tasks. None when any one is doubtful."""
    if task:
        return parse_tasks(u)
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
# Verbs as people write them, folded: the tú, usted and voseo imperatives and the infinitive of each Spanish
# verb ("añade/añada/añadí/añadir", "pon/ponga/poné/poner"), English imperatives.
ADD_VERBS = frozenset(
    """add include tack
    anade anada anadi anadir anademe agrega agregue agregar agregame anota anote anotar anotame apunta apunte
    apuntar apuntame apuntad suma sume sumar sumame incluye incluya inclui incluir""".split()
) | {"hay que anadir", "tack on"}
# "¿me añades pan?", "¿nos apuntas huevos?": the present tense asked of Alfred is a request too.
ADD_VERBS_ASKED = frozenset(
    f"{clitic} {verb}"
    for clitic in ("me", "nos")
    for verb in "anades agregas apuntas anotas sumas incluyes compras".split()
)
# Verbs that also put kettles on, kids to bed and music in the lounge: they add to a list only when the list
# is named or every item is a product we know.
# Errands and reminders to buy ("get milk", "pick up bread", "pilla pan", "don't forget the eggs", "no te
# olvides del pan") count the same: "get the kids", "don't forget the keys" name no product we know.
# Buying is an errand too: "buy milk" adds it, "buy a new car" or "compra entradas para el concierto" does not.
ERRAND_VERBS = frozenset(
    """get grab buy pilla pillas coge coges trae traete compra compre comprad comprar""".split()
) | {
    "pick up",
    "don't forget",
    "dont forget",
    "do not forget",
    "remember",
    "no te olvides de",
    "no te olvides del",
    "no olvides",
    "que no se olvide",
    "que no se olviden",
}
AMBIGUOUS_ADD_VERBS = (
    frozenset(
        """put pop stick throw chuck pon ponga pone poner ponme poneme poned mete meta meter meteme echa eche
        echar""".split()
    )
    | ERRAND_VERBS
    | {f"{clitic} {verb}" for clitic in ("me", "nos") for verb in ("pones", "metes", "echas")}
)
EXPLICIT_ADD = re.compile(
    r"^(?:(?:also|and|then|y)\s+)?(?:(?:i|we)\s+)?"
    r"(?P<verb>hay que anadir|tack on|pick up|(?:me|nos)\s+[a-z]+|don'?t forget|do not forget|no te olvides del?|"
    r"no olvides|que no se olviden?|[a-z]+)\s+(?P<items>.+?)(?:\s+on)?$"
)
# "… on the way home", "… cuando vuelvas": when, not what.
ERRAND_TAIL = re.compile(
    r"\s+(?:on\s+(?:the|your|my)\s+way(?:\s+(?:home|back))?|when\s+you(?:'re|\s+are)?\s+(?:out|at\s+the\s+shops?)|"
    r"after\s+work|later|tonight|de\s+camino(?:\s+a\s+casa)?|al\s+volver|cuando\s+vuelvas|a\s+la\s+vuelta)$"
)
# "fíjate si hay leche en la lista", "check if there's milk on the list": the question follows.
CHECK_PREAMBLE = re.compile(r"^(?:fijate|mira|mirame|comprueba|check|see|look)\s+(?:si|if|whether)\s+")
# "i need to add…", "i'd like you to put…", "quiero añadir…", "me gustaría quitar…": a wish said before the
# request's own verb; the request is what follows.
REQUEST_PREAMBLE = re.compile(
    r"^(?:(?:i|we)\s+(?:need|want|would\s+like|'d\s+like|d\s+like|wanna|wanted)\s+(?:you\s+)?(?:to\s+)?|"
    r"(?:i'?d|id)\s+like\s+(?:you\s+)?to\s+|(?:can|could|may)\s+(?:i|we)\s+(?:please\s+)?|let\s+me\s+|"
    r"(?:quiero|queria|quisiera|necesito|me\s+gustaria)\s+)"
    r"(?=(?:add|put|remove|delete|take|cross|check|tick|mark|include|tack|pop|stick|throw|"
    r"anadir|agregar|poner|apuntar|anotar|sumar|incluir|meter|quitar|borrar|eliminar|sacar|tachar|marcar)\s)"
)
# "crisps should be added", "i need crisps added", "the list should also have crisps".
PASSIVE_ADD = [
    re.compile(
        r"^(?P<items>.+?)\s+(?:should|needs\s+to|need\s+to|must|has\s+to|have\s+to)\s+(?:be|go)\s+(?:added|on)$"
    ),
    re.compile(r"^(?:(?:i|we)\s+)?(?:need|want|would\s+like|'d\s+like)\s+(?P<items>.+?)\s+(?:added|put\s+on)$"),
    re.compile(r"^(?:there'?s\s+|there\s+is\s+|we\s+have\s+|we'?ve\s+got\s+)?no\s+(?P<items>.+?)\s+left$"),
    re.compile(
        r"^(?:the\s+)?list\s+(?:should|needs\s+to|must)\s+(?:also\s+)?(?:have|include|contain)\s+(?P<items>.+)$"
    ),
]
# "update my shopping list to include eggs", "update the list with milk".
UPDATE_LIST = re.compile(
    rf"^(?:update|change)\s+(?:the|our|my)\s+(?:{LIST_NAME}\s+)?list\s+(?:to\s+(?:include|have)|with|by\s+adding)\s+"
    r"(?P<items>.+)$"
)
# "my shopping list needs bananas added", "the packing list should also have sunscreen": the list named first.
LIST_NEEDS = re.compile(
    rf"^(?:the|our|my)?\s*(?:{LIST_NAME}\s+)?list\s+(?:should\s+(?:also\s+)?(?:have|include|get)|"
    r"needs\s+to\s+(?:have|include|get)|needs|also\s+needs)"
    r"\s+(?P<items>.+?)(?P<added>\s+(?:added|put\s+on|on\s+it|too|as\s+well))?$"
)
IMPLICIT_ADD = re.compile(
    r"^(?:"
    r"(?:we|i)\s+(?:need|needs|'ll need|will need|also need|still need)|need|needs|"
    r"(?:we'?re|we are|were|we r|i'?m|im|i am)\s+(?:all\s+|completely\s+)?out\s+of|(?:all\s+)?out\s+of|"
    r"(?:we'?ve|we have|we|i'?ve|i have|i)\s+(?:just\s+)?(?:run|ran)\s+out\s+of|"
    r"(?:we'?re|we are|were|i'?m|im)?\s*running\s+(?:low|out)\s+(?:on|of)|(?:we'?re|we are)\s+low\s+on|low\s+on|"
    r"(?:there'?s|there is|theres)\s+no(?:\s+more)?|no\s+more|"
    r"necesitamos|necesito|hace\s+falta|hacen\s+falta|falta|faltan|nos\s+falta|nos\s+faltan|"
    r"(?:hay|tenemos|habria|tendriamos)\s+que\s+(?:comprar|pillar|coger|traer)|"
    r"(?:ya\s+)?no\s+(?:nos\s+)?(?:queda|quedan)(?:\s+mas)?|(?:ya\s+)?no\s+hay(?:\s+mas)?|"
    r"se\s+(?:nos\s+)?(?:acabo|acabaron|termino|terminaron|ha\s+acabado|han\s+acabado|ha\s+terminado|"
    r"han\s+terminado|esta\s+acabando|estan\s+acabando)|"
    r"nos\s+(?:hemos\s+)?(?:quedamos|quedado)\s+sin|estamos\s+sin|me\s+(?:he\s+)?(?:quedado|quede)\s+sin|"
    r"(?:queda|quedan)\s+(?:poco|poca|pocos|pocas)(?:\s+de)?"
    r")\s+(?:more\s+|some\s+more\s+|some\s+)?(?P<items>.+?)(?:\s+(?:left|anymore|any more))?$"
)
LIST_EN = rf"(?:the|our|my)\s+(?:{LIST_NAME}\s+)?list"
WHEN_EN = r"(?:\s+(?:for\s+)?(?:today|now|right\s+now|at\s+the\s+moment|so\s+far|again|this\s+week))?"
# "i need to know…", "i'd like to hear…", "can i see…": the show request follows.
SHOW_PREAMBLE = re.compile(
    r"^(?:(?:i|we)\s+(?:need|want|would\s+like|'d\s+like)\s+to\s+(?:know|see|hear|check)|"
    r"(?:i'?d|id)\s+like\s+to\s+(?:know|see|hear|check)|let\s+me\s+(?:see|hear)|(?:can|could|may)\s+i\s+(?:see|hear|get|check))"
    r"\s+"
)
LIST_ES = rf"(?:la|mi|nuestra|el|mi)\s+(?:lista|listado)(?:\s+(?:de\s+la|de\s+las|de\s+los|del|de)\s+{LIST_NAME})?"
SHOW_RULES = [
    # "¿falta algo?", "¿necesitamos algo más?", "do we need anything else?", "anything else we need from the shop?"
    re.compile(
        r"^(?:(?:nos\s+)?(?:falta|hace\s+falta|necesitamos|necesito)\s+algo(?:\s+mas)?|"
        r"do\s+(?:we|i)\s+need\s+anything(?:\s+else)?|anything(?:\s+else)?\s+(?:we|i)\s+need)"
        r"(?:\s+(?:from|at|de|del|en)\s+(?:the\s+|la\s+|el\s+)?(?P<place>[a-z]+))?$"
    ),
    # "what's on my to do list", "what do i have on my shopping list", "what items are on the list", "let me
    # know what's on my list", "what did i put on my list": any asking of what is on a named list.
    re.compile(
        r"^(?:(?:tell|show|give|let)\s+(?:me|us)\s+(?:know\s+)?)?"
        r"(?:what'?s|whats|what\s+is|what\s+are|what|everything|all|all\s+the\s+(?:items|things|tasks|stuff)|"
        r"what\s+(?:items|things|tasks|stuff)\s+(?:are|is|do\s+(?:i|we)\s+have)|"
        r"how\s+many\s+(?:items|things|tasks)\s+(?:are\s+there|are|do\s+(?:i|we)\s+have)|"
        r"what\s+(?:do|did|have)\s+(?:i|we)\s+(?:have|got|get|put|added|add|written|write|wrote|put\s+down))"
        r"(?:\s+(?:that'?s|is|are|we\s+have|i\s+have|still|left|there|so\s+far|next|the\s+(?:items|things|tasks)))*"
        rf"\s+(?:on|in)\s+{LIST_EN}{WHEN_EN}$"
    ),
    re.compile(
        r"^(?:list|read(?:\s+out)?|show|give|tell|send)(?:\s+off|\s+out)?\s+(?:me\s+|us\s+)?(?:all\s+)?(?:the\s+)?"
        rf"(?:items|things|tasks|stuff|everything)\s+(?:on|in)\s+{LIST_EN}$"
    ),
    re.compile(
        rf"^(?:(?:do|have)\s+(?:i|we)\s+(?:have|got)\s+|is\s+there\s+|are\s+there\s+)"
        rf"(?:anything|any\s+(?:tasks|items|things|stuff))\s+(?:on|in)\s+{LIST_EN}{WHEN_EN}$"
    ),
    # "what does my to do list look like", "read my shopping list to me", "can you check my to do list".
    re.compile(rf"^(?:what|how)\s+(?:does|do|is)\s+{LIST_EN}\s+look(?:\s+like)?{WHEN_EN}$"),
    re.compile(
        r"^(?:show|send|give|tell|read|share|text|read\s+out|check|view|open|see|pull\s+up|bring\s+up|go\s+over|"
        rf"go\s+through|look\s+at|review)\s+(?:me\s+|us\s+)?{LIST_EN}"
        r"(?:\s+(?:to\s+me|for\s+me|to\s+us|out|out\s+loud|again|now))?$"
    ),
    re.compile(rf"^(?:my|our)\s+(?:{LIST_NAME}\s+)?list{WHEN_EN}$"),
    # "dime todo lo que hay en la lista de la compra", "qué tengo en mi lista de tareas", "qué cosas hay".
    re.compile(
        r"^(?:(?:dime|ensename|muestrame|leeme|dame|me\s+dices|me\s+lees)\s+)?"
        r"(?:que|q|que\s+cosas|todo\s+lo\s+que|lo\s+que)\s+"
        r"(?:hay|tengo|tenemos|queda|quedan|pone|falta|he\s+puesto|hemos\s+puesto|hay\s+apuntado|tengo\s+apuntado)"
        rf"\s+en\s+{LIST_ES}$"
    ),
    re.compile(rf"^(?:what'?s|what is|whats|what)\s+(?:on|in)\s+(?:the|our|my)\s+(?:{LIST_NAME}\s+)?list$"),
    re.compile(rf"^(?:is\s+there\s+)?anything\s+(?:on|in)\s+(?:the|our|my)\s+(?:{LIST_NAME}\s+)?list$"),
    re.compile(
        r"^(?:show|send|give|tell|read|share|text|read out)\s+(?:me\s+|us\s+)?(?:the|our|my)\s+"
        rf"(?:{LIST_NAME}\s+)?list(?:\s+(?:again|now))?$"
    ),
    re.compile(rf"^(?:the\s+)?(?:(?!(?:add|new|clear|delete|remove|make|create|empty|my|a)\s){LIST_NAME}\s+)?list$"),
    re.compile(
        r"^what\s+(?:else\s+)?do\s+(?:we|i)\s+(?:need|still need|have to buy|need to buy|need to get|have to get)"
        r"(?:\s+(?:from|at)\s+the\s+(?P<place>[a-z]+))?$"
    ),
    re.compile(r"^(?:what'?s|what is|whats)\s+(?:left|missing)\s+(?:to\s+(?:buy|get)|on\s+the\s+list)$"),
    re.compile(
        r"^(?:tell|show|give|send|read|list)\s+(?:me\s+|us\s+)?(?:everything|all|all\s+the\s+(?:items|things|stuff)|"
        r"what'?s|what\s+is|what)\s+(?:that'?s\s+|is\s+|we\s+have\s+)?(?:on|in)\s+(?:the|our|my)\s+"
        rf"(?:{LIST_NAME}\s+)?list$"
    ),
    re.compile(
        r"^(?:que|q)\s+(?:hay|tenemos|queda|quedan|pone|falta)\s+en\s+(?:la|mi|nuestra)\s+lista"
        rf"(?:\s+(?:de\s+la|de\s+las|de\s+los|del|de)\s+{LIST_NAME})?$"
    ),
    re.compile(
        r"^(?:(?:dime|ensename|muestrame|dame)\s+)?(?:que|q|lo\s+que|todo\s+lo\s+que)(?:\s+mas)?\s+(?:nos\s+)?"
        r"(?:falta|faltan|hace\s+falta|queda|quedan|toca)(?:\s+(?:por|que|para)\s+comprar|\s+comprar)?"
        r"(?:\s+(?:de\s+la|en\s+la|del|en\s+el|de|en)\s+(?P<place>[a-z]+))?$"
    ),
    re.compile(
        r"^(?:(?:dime|ensename|muestrame|dame)\s+)?(?:que|q|lo\s+que|todo\s+lo\s+que)(?:\s+mas)?\s+"
        r"(?:necesitamos|necesito|tenemos\s+que\s+comprar|hay\s+que\s+comprar|compro|compramos)"
        r"(?:\s+(?:de\s+la|en\s+la|del|en\s+el|de|en)\s+(?P<place>[a-z]+))?$"
    ),
    re.compile(
        r"^(?:ensename|muestrame|pasame|mandame|enviame|dame|dime|leeme|me\s+lees|me\s+mandas|me\s+pasas|me\s+ensenas|me\s+envias|"
        r"me\s+dices|me\s+das|mandas|pasas)\s+la\s+lista"
        rf"(?:\s+(?:de\s+la|de\s+las|de\s+los|del|de)\s+{LIST_NAME})?$"
    ),
    re.compile(rf"^(?:la\s+lista|lista\s+(?:de\s+la|de\s+las|de\s+los|del|de)\s+{LIST_NAME})$"),
    re.compile(rf"^la\s+lista\s+(?:de\s+la|de\s+las|de\s+los|del|de)\s+{LIST_NAME}$"),
]
# Questions about an item, answered by grocery_check (reads only): "is butter on the shopping list?",
# "did I already add rice?", "do we need bread?", "¿está la leche en la lista?", "¿ya apuntaste el arroz?".
NOTED_ES = r"(?:apuntad[oa]s?|anadid[oa]s?|anotad[oa]s?|agregad[oa]s?|puest[oa]s?)"
CHECK_RULES = [
    re.compile(r"^(?:is|are)\s+(?:there\s+)?(?:any\s+)?(?P<items>.+?)(?:\s+(?:already|still))?$"),
    re.compile(
        r"^(?:did|have|has)\s+(?P<who>[a-z]+)\s+(?:already\s+)?"
        r"(?:add|added|put|write|written|wrote)\s+(?P<items>.+?)(?:\s+(?:already|yet|down))?$"
    ),
    re.compile(r"^(?:ya\s+)?(?:esta|estan)\s+(?P<items>.+?)(?:\s+ya)?$"),
    re.compile(
        r"^(?:alguien\s+)?(?:ya\s+)?(?:has|habeis|ha|han|hemos|he)\s+(?:ya\s+)?(?:anadido|apuntado|puesto|agregado|anotado)"
        r"\s+(?P<items>.+?)"
        r"(?:\s+ya)?$"
    ),
    re.compile(r"^(?:ya\s+)?(?:anadiste|apuntaste|pusiste|agregaste|anotaste)\s+(?P<items>.+?)(?:\s+ya)?$"),
    # "do we need bread?", "do we still need eggs": asking, not telling (that would add).
    re.compile(
        r"^(?:do|does)\s+(?:we|i)\s+(?:still\s+)?need\s+(?:any\s+more\s+|any\s+|more\s+|some\s+)?(?P<items>.+?)"
        r"(?:\s+(?:still|too|again))?$"
    ),
    re.compile(r"^(?:do|does)\s+(?:we|i)\s+(?:already\s+)?(?:have|got)\s+(?:any\s+)?(?P<items>.+?)(?:\s+already)?$"),
    re.compile(r"^(?:have|has)\s+(?:we|i|you)\s+(?:already\s+)?got\s+(?:any\s+)?(?P<items>.+?)(?:\s+already)?$"),
    re.compile(r"^(?:ya\s+)?(?:tenemos|tengo|hay|queda|quedan)\s+(?P<items>.+?)(?:\s+ya)?$"),
    re.compile(
        r"^(?:there'?s|there\s+is|there\s+are|we\s+have)\s+(?!no\s)(?:any\s+|some\s+)?(?P<items>.+?)(?:\s+already)?$"
    ),
    # "¿está apuntado el pan?", "¿el pan ya está apuntado?": the participle names the list.
    re.compile(rf"^(?:ya\s+)?(?:esta|estan)\s+(?:ya\s+)?{NOTED_ES}\s+(?P<items>.+?)(?:\s+ya)?$"),
    re.compile(rf"^(?P<items>.+?)\s+(?:ya\s+)?(?:esta|estan)\s+(?:ya\s+)?{NOTED_ES}$"),
    re.compile(r"^(?P<items>.+?)\s+(?:is|are|esta|estan)(?:\s+(?:already|still|ya))?$"),
]
# "Is there milk?", "do we have eggs?", "¿está la leche?", "¿hay pan?": only with the list named (else it is
# about the fridge).
CHECK_NEEDS_LIST = frozenset({0, 2, 6, 7, 8, 9, 12})
# "does my shopping list have milk on it", "¿la lista tiene leche?": the list named first.
LIST_HAS = [
    re.compile(
        rf"^(?:does|do)\s+{LIST_EN}\s+(?:have|include|contain|got)\s+(?:any\s+)?(?P<items>.+?)"
        r"(?:\s+(?:on|in)\s+it)?$"
    ),
    re.compile(rf"^{LIST_ES}\s+(?:tiene|lleva|incluye)\s+(?P<items>.+)$"),
    re.compile(rf"^(?:check|look|search)\s+(?:in\s+|on\s+|through\s+)?{LIST_EN}\s+for\s+(?:any\s+)?(?P<items>.+)$"),
]
CHECK_SUBJECTS = frozenset({"i", "we", "you", "u", "someone", "anyone", "somebody", "anybody"})
BOUGHT_RULES = [
    re.compile(
        r"^(?:(?P<who>[a-z]+)\s+)?(?:(?:just|already|finally|also)\s+)?"
        r"(?:got|bought|picked\s+up|grabbed|purchased|'ve\s+got|ve\s+got|have\s+got|'ve\s+bought|have\s+bought|"
        r"'ve\s+picked\s+up|has\s+bought|has\s+got)\s+(?P<items>.+)$"
    ),
    re.compile(r"^(?:i|we)\s+(?:have|'ve\s+got|ve\s+got|got)\s+(?P<items>the\s+.+)$"),
    re.compile(
        r"^mark\s+(?P<items>.+?)\s+(?:as\s+)?(?:bought|done|purchased|got|ticked|ticked off|checked|checked off|"
        r"complete|completed)$"
    ),
    re.compile(r"^(?:tick|check|cross)\s+off\s+(?P<items>.+)$"),
    re.compile(r"^(?:tick|check|cross)\s+(?P<items>.+?)\s+off$"),
    re.compile(
        r"^(?:(?P<who>[a-z]+)\s+)?(?:ya\s+)?(?:compre|he\s+comprado|hemos\s+comprado|ha\s+comprado|han\s+comprado|"
        r"compramos|cogi|he\s+cogido|hemos\s+cogido|ha\s+cogido|pille|he\s+pillado|traje|he\s+traido|"
        r"ya\s+compre)\s+(?P<items>.+)$"
    ),
    re.compile(r"^(?:ya\s+)?(?:tengo|tenemos)\s+(?P<items>(?:el|la|los|las)\s+.+)$"),
    re.compile(rf"^(?:marca|marque|marcar|marcame)\s+(?P<items>.+?)\s+como\s+{BOUGHT_STATE_ES}$"),
    re.compile(rf"^(?:marca|marque|marcar|marcame)\s+como\s+{BOUGHT_STATE_ES}\s+(?P<items>.+)$"),
    re.compile(rf"^(?:da|de|dar|dale)\s+por\s+{BOUGHT_STATE_ES}\s+(?P<items>.+)$"),
    re.compile(r"^(?:tache|tachar|tachame)\s+(?P<items>.+)$"),
    re.compile(r"^tacha\s+(?P<items>.+)$"),
    re.compile(r"^(?:ya\s+)?(?P<items>.+?)\s+(?:comprado|comprada|comprados|compradas)$"),
    re.compile(r"^(?:ya\s+)?(?:(?:esta|estan)\s+)?(?:comprado|comprada|comprados|compradas)\s+(?P<items>.+)$"),
]
# Said, not ordered ("got the milk", "compramos pan"): asked with "?", they are questions.
BOUGHT_STATEMENTS = frozenset(BOUGHT_RULES[index] for index in (0, 1, 5, 6, 12, 13))
# Only with a list named: "complete the form", "check the oven", "termina los deberes" are not about a list.
NAMED_BOUGHT_RULES = [
    re.compile(r"^(?:check|complete|tick)\s+(?:off\s+)?(?P<items>.+?)(?:\s+off)?$"),
    re.compile(
        r"^(?:completa|complete|completar|completame|termina|termine|terminar|finaliza|finalice|finalizar|"
        r"marca|marque|marcar|marcame)\s+(?P<items>.+)$"
    ),
]
BOUGHT_STATES_ES = [
    f"{stem}{end}"
    for stem in ("comprad", "hech", "completad", "realizad", "terminad", "list", "tachad")
    for end in ("o", "a", "os", "as")
]
BOUGHT_HEAD_VERBS = (
    frozenset(
        """check complete tick cross tacha tache tachar completa completar termina termine terminar marca marque
        marcar finaliza finalice finalizar""".split()
    )
    | {"check off", "tick off", "cross off", "complete off"}
    | {f"{verb} por {state}" for verb in ("da", "de", "dar", "dale") for state in BOUGHT_STATES_ES}
)
# "… como comprado" left after a list named first ("marca en la lista leche como comprada").
BOUGHT_STATE_TAIL = re.compile(rf"\s+como\s+{BOUGHT_STATE_ES}$")
# "what do we need from the shop?": the shop itself means the default list.
SHOP_WORDS = frozenset({"shop", "shops", "store", "supermarket", "tienda", "supermercado", "mercado"})
# Words the optional subject slot may catch that are not a person ("just got…", "ya compré…").
SUBJECTS = frozenset({"i", "we", "yo", "ya", "just", "already", "finally", "also", "nosotros"})
REMOVE_VERBS = (
    frozenset(
        """remove delete scratch erase drop quita quite quitar quitame borra borre borrar borrame elimina elimine
    eliminar suprime suprima suprimi suprimir remueve remueva remover retira retire retirar""".split()
    )
    | {"cross out"}
    | {f"{clitic} {verb}" for clitic in ("me", "nos") for verb in ("quitas", "borras", "eliminas", "sacas")}
)
REMOVE_RULES = [
    # "delete off the milk": a particle after the verb changes nothing.
    re.compile(rf"^(?P<verb>{'|'.join(sorted(REMOVE_VERBS, key=len, reverse=True))})(?:\s+off)?\s+(?P<items>.+)$"),
    re.compile(r"^take\s+(?P<items>.+?)\s+off$"),
    re.compile(r"^take\s+off\s+(?P<items>.+)$"),
]
# Only with "… de la lista" / "… off the list": "saca la basura" is a chore, "take the milk" is nothing.
NAMED_REMOVE_RULES = [
    re.compile(r"^(?:saca|saque|sacar|sacame)\s+(?P<items>.+)$"),
    re.compile(r"^take\s+(?P<items>.+)$"),
]
REMOVE_HEAD_VERBS = REMOVE_VERBS | {"saca", "saque", "sacar", "take"} | {f"{verb} off" for verb in REMOVE_VERBS}
NO_LONGER_NEEDED = re.compile(
    r"^(?:(?:we|i)\s+(?:don'?t|do not|dont|no longer)\s+need|(?:ya|al final)\s+no\s+(?:hace\s+falta|hacen\s+falta|"
    r"necesitamos|necesito))\s+(?P<items>.+?)(?P<anymore>\s+(?:anymore|any more|after all|ya))?$|"
    # "el pan ya no hace falta", "the milk isn't needed anymore"
    r"^(?P<items_first>.+?)\s+(?:ya\s+no\s+(?:hace|hacen)\s+falta|(?:is\s+not|isn'?t|are\s+not|aren'?t)\s+needed"
    r"\s+(?:anymore|any\s+more))$"
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


def all_known(items: list[dict[str, Any]]) -> bool:
    return all(selectors.item_known(str(item["name"])) for item in items)


class ShoppingPhrasebook:
    def match(self, text: str, language: str) -> list[Intent] | None:
        u = Utterance.of(text)
        if not u.folded:
            return None
        for rule in (self.undo, self.clear):
            found = rule(u)
            if found:
                return found
        # Calendars, reminders, devices, "delete everything": not ours, and never a guess that writes.
        if out_of_scope(u.folded):
            return None
        wish = REQUEST_PREAMBLE.match(u.folded)
        if wish:
            u = u.cut(wish.end(), len(u.folded))
        for rule in (self.show, self.check, self.remove):
            found = rule(u)
            if found:
                return found
        # "¿necesitamos pan?", "¿compramos pan?", "we're out of milk?": a need or a purchase asked about is a
        # question (answered by reading the list), not an order to add or to check off.
        asked = "?" in text or "¿" in text
        return self.bought(u, asked=asked) or self.add(u, asked=asked)

    def undo(self, u: Utterance) -> list[Intent] | None:
        return intent("grocery_undo") if UNDO.match(u.folded) else None

    def clear(self, u: Utterance) -> list[Intent] | None:
        rest, shopping_list, _named = strip_list_tail(u)
        if any(rule.match(rest.folded) for rule in CLEAR_RULES):
            return intent("grocery_clear_bought", shopping_list=shopping_list)
        return None

    def show(self, u: Utterance) -> list[Intent] | None:
        text = PLACE_TAIL.sub("", u.folded)
        preamble = SHOW_PREAMBLE.match(text)
        if preamble:
            text = text[preamble.end() :]
            bare = re.fullmatch(LIST_EN, text)
            if bare:
                return intent("grocery_show", shopping_list=list_name(bare.group("lname")))
        for rule in SHOW_RULES:
            found = rule.match(text)
            if not found:
                continue
            groups = found.groupdict()
            if groups.get("place"):
                place = groups["place"]
                if simplify(place) in SHOP_WORDS:
                    return intent("grocery_show")
                known = selectors.shopping_list_find(place)
                if known is None and simplify(place) not in selectors.DEFAULT_LIST_WORDS:
                    return None
                return intent("grocery_show", shopping_list=list_name(place))
            if simplify(groups.get("lname") or "") in CHORE_LIST_WORDS:
                return None  # "what's on my chores list": the chores, not a list of that name
            return intent("grocery_show", shopping_list=list_name(groups.get("lname")))
        return None

    def check(self, u: Utterance) -> list[Intent] | None:
        asking = CHECK_PREAMBLE.match(u.folded)
        if asking:
            u = u.cut(asking.end(), len(u.folded))
        for rule in LIST_HAS:
            has = rule.match(u.folded)
            if has:
                shopping_list = list_name(has.group("lname"))
                items = parse_items(u.group(has, "items"), strict=True, task=holds_tasks(shopping_list))
                return intent("grocery_check", items, shopping_list) if items else None
        rest, shopping_list, named = strip_list_tail(u)
        for number, rule in enumerate(CHECK_RULES):
            found = rule.match(rest.folded)
            if not found:
                continue
            if number in CHECK_NEEDS_LIST and not named:
                continue
            who = found.groupdict().get("who")
            if who and who not in CHECK_SUBJECTS and selectors.member_find(who) is None:
                return None
            items = parse_items(rest.group(found, "items"), strict=True, task=holds_tasks(shopping_list))
            return intent("grocery_check", items, shopping_list) if items else None
        return None

    def remove(self, u: Utterance) -> list[Intent] | None:
        reason = REASON_TAIL.search(u.folded)
        if reason:
            u = u.cut(0, reason.start())
        head = strip_list_head(u, REMOVE_HEAD_VERBS)
        if head:
            items = head_items(head)
            return intent("grocery_remove", items, head.shopping_list) if items else None
        rest, shopping_list, named = strip_list_tail(u)
        if named and said_towards(u, rest):
            return None
        found = NO_LONGER_NEEDED.match(rest.folded)
        if found:
            told = REMOVE_IT_TAIL.search(rest.folded)
            if told:
                rest = rest.cut(0, told.start())
                found = NO_LONGER_NEEDED.match(rest.folded)
            if found and found.group("items_first"):
                items = parse_items(rest.group(found, "items_first"), strict=True, task=holds_tasks(shopping_list))
                return intent("grocery_remove", items, shopping_list) if items else None
            if found and (told or found.group("anymore") or rest.folded.startswith(("ya ", "al final"))):
                items = parse_items(rest.group(found, "items"), task=holds_tasks(shopping_list))
                return intent("grocery_remove", items, shopping_list) if items else None
            return None
        rules = [*REMOVE_RULES, *NAMED_REMOVE_RULES] if named else REMOVE_RULES
        for rule in rules:
            found = rule.match(rest.folded)
            if found:
                items = parse_items(rest.group(found, "items"), task=holds_tasks(shopping_list))
                # "quita la música", "delete the photo": without a list named, only products we know.
                if not items or not (named or all_known(items)):
                    return None
                return intent("grocery_remove", items, shopping_list)
        return None

    def bought(self, u: Utterance, *, asked: bool = False) -> list[Intent] | None:
        head = strip_list_head(u, BOUGHT_HEAD_VERBS)
        if head:
            state = BOUGHT_STATE_TAIL.search(head.items.folded)
            if state:
                head = head._replace(items=head.items.cut(0, state.start()))
            items = head_items(head, strict=True)
            return intent("grocery_bought", items, head.shopping_list) if items else None
        rest, shopping_list, named = strip_list_tail(u)
        if named and said_towards(u, rest):
            return None
        for rule in [*BOUGHT_RULES, *NAMED_BOUGHT_RULES] if named else BOUGHT_RULES:
            found = rule.match(rest.folded)
            if not found:
                continue
            who = found.groupdict().get("who")
            if who and who not in SUBJECTS and selectors.member_find(who) is None:
                return None
            items = parse_items(rest.group(found, "items"), strict=True, task=holds_tasks(shopping_list))
            tool = "grocery_check" if asked and rule in BOUGHT_STATEMENTS else "grocery_bought"
            return intent(tool, items, shopping_list) if items else None
        return None

    def add(self, u: Utterance, *, asked: bool = False) -> list[Intent] | None:
        head = strip_list_head(u, ADD_VERBS | AMBIGUOUS_ADD_VERBS)
        if head:
            items = head_items(head)
            return intent("grocery_add", items, head.shopping_list) if items else None
        told = ADD_IT_TAIL.search(u.folded)
        if told:
            # "we ran out of shampoo, add it to the pharmacy list": the list is named after "add it".
            _ignored, shopping_list, named = strip_list_tail(u.cut(told.start(), len(u.folded)))
            rest = u.cut(0, told.start())
        else:
            rest, shopping_list, named = strip_list_tail(u)
        needs = LIST_NEEDS.match(u.folded)
        needs = needs or UPDATE_LIST.match(u.folded)
        if needs:
            shopping_list = list_name(needs.group("lname"))
            task = holds_tasks(shopping_list)
            items = parse_items(u.group(needs, "items"), strict=True, task=task)
            # "the list needs updating" is not an item: without "added" or "should", only products we know.
            sure = needs.groupdict().get("added") or " should " in f" {u.folded} " or task
            if items and (sure or all_known(items)):
                return intent("grocery_add", items, shopping_list)
            return None
        errand = ERRAND_TAIL.search(rest.folded)
        if errand:
            rest = rest.cut(0, errand.start())
        for rule in PASSIVE_ADD:
            found = rule.match(rest.folded)
            if found:
                items = parse_items(rest.group(found, "items"), strict=True, task=holds_tasks(shopping_list))
                return intent("grocery_add", items, shopping_list) if items else None
        found = EXPLICIT_ADD.match(rest.folded)
        strict = False
        ambiguous = False
        if found and found.group("verb") not in ADD_VERBS | ADD_VERBS_ASKED:
            ambiguous = found.group("verb") in AMBIGUOUS_ADD_VERBS
            found = None if not ambiguous else found
        tool = "grocery_add"
        if not found:
            found = IMPLICIT_ADD.match(rest.folded)
            strict = True
            ambiguous = False
            tool = "grocery_check" if asked and not told else tool
        if not found:
            return None
        items = parse_items(rest.group(found, "items"), strict=strict, task=holds_tasks(shopping_list))
        # "pon la mesa", "put the kettle on": an ambiguous verb adds only to a named list or known products;
        # so does "add a comment", "add a friend": one of something, no list named, is a product we know.
        one_of = bool(INDEFINITE.match(rest.group(found, "items").folded))
        if not items or ((ambiguous or one_of) and not (named or all_keywords(items))):
            return None
        return intent(tool, items, shopping_list)
