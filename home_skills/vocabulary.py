"""Words the rules and the resolvers share: chore synonyms, days, number words and units (en + es).

All entries are *simplified* (lower case, no accents, see ``text.simplify``).
"""

from datetime import date, timedelta

# Ways people name the common chores. A chore whose title or an alias is one of these words is also
# reached by the rest of its group ("hoovered" → the chore titled "vacuum" or "aspiradora").
CHORE_SYNONYMS: list[frozenset[str]] = [
    frozenset(
        [
            *"dishes dish plates platos plato vajilla cacharros fregar fregado fregue friego fregando friega".split(),
            *["washing up", "wash up", "washed up", "the washing up"],
        ]
    ),
    frozenset("trash bins bin rubbish garbage basura".split()),
    frozenset(
        """vacuum vacuuming vacuumed hoover hoovering hoovered aspirar aspiradora aspirado aspire aspirando
        aspiro""".split()
    ),
    frozenset("laundry washing colada lavadora lavadoras ropa clothes".split()),
]
# Surfaces that are themselves a past action ("just hoovered the stairs").
PAST_SURFACES = frozenset({"vacuumed", "hoovered", "aspirado", "aspire", "fregado", "fregue", "washed up"})

DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
DAY_WORDS: dict[str, str] = {
    "today": "today",
    "tonight": "today",
    "hoy": "today",
    "tomorrow": "tomorrow",
    "tomorow": "tomorrow",
    "tommorow": "tomorrow",
    "tmrw": "tomorrow",
    "tmr": "tomorrow",
    "manana": "tomorrow",
    **{day: day for day in DAYS},
    "lunes": "monday",
    "martes": "tuesday",
    "miercoles": "wednesday",
    "jueves": "thursday",
    "viernes": "friday",
    "sabado": "saturday",
    "domingo": "sunday",
}
WEEKDAY_CODES = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
# Plural forms for "every Sunday" / "los domingos".
WEEKDAY_WORDS: dict[str, int] = {}
for _index, _day in enumerate(DAYS):
    WEEKDAY_WORDS[_day] = _index
    WEEKDAY_WORDS[_day + "s"] = _index
for _word, _canonical in list(DAY_WORDS.items()):
    if _canonical in DAYS:
        WEEKDAY_WORDS[_word] = DAYS.index(_canonical)
        WEEKDAY_WORDS[_word + "s"] = DAYS.index(_canonical)

NUMBER_WORDS: dict[str, int] = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "uno": 1,
    "dos": 2,
    "tres": 3,
    "cuatro": 4,
    "cinco": 5,
    "seis": 6,
    "siete": 7,
    "ocho": 8,
    "nueve": 9,
    "diez": 10,
    "once": 11,
    "doce": 12,
    "quince": 15,
    "veinte": 20,
}

# Unit words → canonical unit.
UNIT_WORDS: dict[str, str] = {
    **dict.fromkeys("kg kgs kilo kilos kilogram kilograms kilogramo kilogramos".split(), "kg"),
    **dict.fromkeys("g gr grs gram grams gramme grammes gramo gramos".split(), "g"),
    **dict.fromkeys("l lt lts litre litres liter liters litro litros".split(), "l"),
    **dict.fromkeys("ml millilitre millilitres milliliter milliliters mililitro mililitros".split(), "ml"),
    **dict.fromkeys("loaf loaves barra barras hogaza hogazas".split(), "loaf"),
    **dict.fromkeys("pack packs packet packets package packages paquete paquetes".split(), "pack"),
    **dict.fromkeys("bottle bottles botella botellas".split(), "bottle"),
    **dict.fromkeys("can cans tin tins lata latas".split(), "can"),
    **dict.fromkeys("box boxes caja cajas".split(), "box"),
    **dict.fromkeys("bag bags bolsa bolsas".split(), "bag"),
    **dict.fromkeys("jar jars bote botes tarro tarros".split(), "jar"),
}


def day_date(day: str, *, today: date) -> date:
    """ "today" | "tomorrow" | "monday".."sunday" → the date (a weekday is the next one, today included)."""
    if day == "tomorrow":
        return today + timedelta(days=1)
    if day in DAYS:
        return today + timedelta(days=(DAYS.index(day) - today.weekday()) % 7)
    return today
