"""How the home rules are scored (``alfred.rules.corpus``): how the home tools' arguments are compared, what
counts as junk in an item name, and the held-out sets — text we did not write, to measure the rules on.

Held-out sets (built at bench/test time, never copied into our rules or templates):

- ``ha-templates``: the sentence templates that the ``home-assistant-intents`` package ships for its list
  intents (``HassShoppingListAddItem``, ``HassListAddItem``, ``HassShoppingListCompleteItem``,
  ``HassListCompleteItem``, ``HassListRemoveItem``), expanded with ``hassil`` from the installed package,
  with item and list names of ours in their slots. We do not tune the rules line by line on them.
- ``ha-devices``: sentences of the same package's device, timer, media and weather intents: nothing may be
  written for them.
- ``out-of-scope``: our own must-not-write lines (calendar changes, reminders, "delete everything"),
  in ``tests/home_skills/corpus/out_of_scope/``.

``hassil`` and ``home-assistant-intents`` are test-only requirements (requirements/dev.in): they are
imported inside the functions that need them, never by the worker.
"""

import itertools
import random
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alfred.registry import Intent
from alfred.rules.corpus import ArgumentMatchers, Case, load_corpus, same_text, same_texts
from alfred.rules.text import name_key, simplify

if TYPE_CHECKING:
    from hassil.expression import Sentence
    from hassil.intents import SlotList

ROOT = Path(__file__).resolve().parent.parent
OUT_OF_SCOPE = ROOT / "tests" / "home_skills" / "corpus" / "out_of_scope"


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def same_items(expected: list[dict[str, Any]], got: list[dict[str, Any]]) -> bool:
    """The same grocery items in the same order: same name key, quantity and unit."""
    if len(expected) != len(got):
        return False
    for want, have in zip(expected, got, strict=True):
        if name_key(want["name"]) != name_key(str(have.get("name", ""))):
            return False
        if _number(want.get("quantity")) != _number(have.get("quantity")):
            return False
        if (want.get("unit") or None) != (have.get("unit") or None):
            return False
    return True


ARGUMENT_MATCHERS: ArgumentMatchers = {
    "items": same_items,
    "list": same_text,
    "title": same_text,
    "chore": same_text,
    "member": same_text,
    "assignees": same_texts,
}

# Tools that only say what the home skills do not do ("I can't change your calendar"): they write nothing, so
# on a must-not-write line they count as left alone (``alfred.rules.corpus``: declined).
DECLINES = frozenset({"out_of_scope"})

# Words that are never part of an item people buy or pack: a name holding one is a piece of the sentence
# left in it. Kept apart from the rules' own checks on purpose, so the measure does not grade itself.
SENTENCE_WORDS = frozenset(
    """list lista listado shopping compra calendar calendario agenda reminder recordatorio remind recuerdame
    appointment cita meeting reunion event evento alarm alarma timer temporizador
    add added adding put remove removed delete deleted check checked complete completed mark marked
    anade anadir pon apunta quita borra elimina marca tacha
    can could would you your my our me it them so please should also too
    puedes podrias usted mi nuestra nuestro por favor tambien""".split()
)


def is_junk(case: Case, intent: Intent) -> bool:
    """An item name with a piece of the sentence left in it: a sentence word ("crisps added", "bread in
    the shopping"), or the expected item with words around it ("tissues so can you" for "tissues")."""
    expected = {name_key(str(item.get("name", ""))) for item in case.args.get("items") or []}
    for item in intent.args.get("items") or []:
        name = str(item.get("name", "")) if isinstance(item, dict) else str(item)
        words = simplify(name).split()
        if any(word in SENTENCE_WORDS for word in words):
            return True
        key = name_key(name)
        if any(want and want != key and f" {want} " in f" {key} " for want in expected):
            return True
    return False


# --- held-out sets ----------------------------------------------------------------------------------------
# Item names and list names that fill the templates' slots, per language: ordinary words of ours, not
# chosen to suit the rules. The to-do list gets tasks, as people put on one.
HELD_OUT_ITEMS = {
    "en": ["milk", "paper towels", "olive oil", "batteries", "dog food", "tissues"],
    "es": ["leche", "papel higiénico", "aceite de oliva", "pilas", "comida para el perro", "pañuelos"],
}
HELD_OUT_TASKS = {"en": ["call the plumber", "renew passport"], "es": ["llamar al fontanero", "renovar el pasaporte"]}
# (list name as the template's {name}, the ``list`` argument expected: None = the default list)
HELD_OUT_LISTS = {
    "en": [("shopping", None), ("grocery", None), ("pharmacy", "pharmacy"), ("packing", "packing"), ("to do", "to do")],
    "es": [("compra", None), ("compras", None), ("farmacia", "pharmacy"), ("viaje", "viaje"), ("tareas", "tareas")],
}
TASK_LISTS = frozenset({"to do", "tareas"})
LIST_INTENTS = {
    "HassShoppingListAddItem": "grocery_add",
    "HassListAddItem": "grocery_add",
    "HassShoppingListCompleteItem": "grocery_bought",
    "HassListCompleteItem": "grocery_bought",
    "HassListRemoveItem": "grocery_remove",
}
# Home Assistant completes a shopping-list item for "remove"/"delete" too; Alfred keeps removing (the
# item was not bought) apart from checking off, so those sentences expect grocery_remove.
REMOVE_VERBS = ("remove", "delete", "elimin", "quit", "suprim", "borr", "remuev", "remov", "retir", "sac")
DEVICE_INTENTS = frozenset(
    """HassTurnOn HassTurnOff HassLightSet HassStartTimer HassCancelTimer HassMediaPause HassGetWeather
    HassVacuumStart HassSetVolume HassClimateSetTemperature""".split()
)
DEVICE_SLOTS = {
    "en": {"area": ["kitchen", "living room"], "floor": ["upstairs"], "name": ["lamp", "ceiling fan"]},
    "es": {"area": ["cocina", "salón"], "floor": ["planta de arriba"], "name": ["lámpara", "ventilador"]},
}
PER_INTENT = 150
DEVICE_LINES = 300
PER_TEMPLATE = 20
SEED = 17
# Stand-ins for the slots, replaced after sampling: one template, many items and lists.
ITEM_SLOT, LIST_SLOT = "ITEMSLOT", "LISTSLOT"


def _sampler() -> random.Random:
    # A fixed seed: the same held-out lines on every run, so figures compare across commits (not a secret).
    return random.Random(SEED)  # noqa: S311


def _templates(language: str, wanted: frozenset[str], slots: dict[str, list[str]]) -> dict[str, list[str]]:
    """Every sentence the package's templates for the ``wanted`` intents give, with ``slots`` filled in."""
    from hassil.intents import Intents, TextSlotList
    from hassil.sample import sample_sentence
    from home_assistant_intents import get_intents

    data = get_intents(language)
    if data is None:
        return {}
    data = {**data, "intents": {name: value for name, value in data["intents"].items() if name in wanted}}
    intents = Intents.from_dict(data)
    slot_lists: dict[str, SlotList] = {**intents.slot_lists}
    slot_lists.update({name: TextSlotList.from_strings(values) for name, values in slots.items()})
    found: dict[str, list[str]] = {}
    for intent_name, intent in intents.intents.items():
        for intent_data in intent.data:
            rules: dict[str, Sentence] = {**intents.expansion_rules, **(intent_data.expansion_rules or {})}
            for sentence in intent_data.sentences:
                texts = sample_sentence(sentence, slot_lists, rules, language=language, expand_ranges=False)
                for text in itertools.islice(texts, PER_TEMPLATE if intent_name in DEVICE_INTENTS else None):
                    found.setdefault(intent_name, []).append(" ".join(text.split()))
    return found


def _fills(language: str) -> Iterator[tuple[str, str, str | None]]:
    """(item, list name said, list expected) in turn, forever, so every template gets a different pair."""
    pairs = []
    for said, expected in HELD_OUT_LISTS[language]:
        items = HELD_OUT_TASKS[language] if said in TASK_LISTS else HELD_OUT_ITEMS[language]
        pairs += [(item, said, expected) for item in items]
    _sampler().shuffle(pairs)
    return itertools.cycle(pairs)


def held_out_templates() -> dict[str, list[Case]]:
    """The list intents' templates, expanded, ``PER_INTENT`` sentences per intent and language."""
    corpus: dict[str, list[Case]] = {}
    slots = {"shopping_list_item": [ITEM_SLOT], "todo_list_item": [ITEM_SLOT], "name": [LIST_SLOT]}
    for language in ("en", "es"):
        cases: list[Case] = []
        fills = _fills(language)
        for intent_name, texts in sorted(_templates(language, frozenset(LIST_INTENTS), slots).items()):
            chosen = _sampler().sample(texts, min(PER_INTENT, len(texts)))
            for template in chosen:
                item, said, expected_list = next(fills)
                if LIST_SLOT not in template:
                    item, expected_list = HELD_OUT_ITEMS[language][len(cases) % len(HELD_OUT_ITEMS[language])], None
                text = template.replace(ITEM_SLOT, item).replace(LIST_SLOT, said)
                tool = LIST_INTENTS[intent_name]
                if tool == "grocery_bought" and simplify(text).startswith(REMOVE_VERBS):
                    tool = "grocery_remove"
                args: dict[str, Any] = {"items": [{"name": item}]}
                if expected_list:
                    args["list"] = expected_list
                cases.append(Case(text=text, tool=tool, args=args, language=language))
        corpus[language] = cases
    return corpus


def held_out_devices() -> dict[str, list[Case]]:
    """Device, timer, media and weather sentences of the same package: ``DEVICE_LINES`` per language,
    none of which may write."""
    corpus: dict[str, list[Case]] = {}
    for language in ("en", "es"):
        texts = sorted({t for ts in _templates(language, DEVICE_INTENTS, DEVICE_SLOTS[language]).values() for t in ts})
        chosen = _sampler().sample(texts, min(DEVICE_LINES, len(texts)))
        corpus[language] = [Case(text=text, tool=None, args={}, language=language) for text in chosen]
    return corpus


def out_of_scope() -> dict[str, list[Case]]:
    """Our own must-not-write lines: calendar changes, reminders, "delete everything"."""
    return load_corpus(OUT_OF_SCOPE)
