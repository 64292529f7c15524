"""Home words the rules and the resolvers share: chore synonyms and grocery units (en + es). Days and
number words are generic: ``alfred.rules.days`` and ``alfred.rules.numbers``.

All entries are *simplified* (lower case, no accents, see ``alfred.rules.text.simplify``).
"""

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
