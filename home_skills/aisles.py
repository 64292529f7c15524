"""The built-in aisle dictionary (English + Spanish). A migration loads it into the database, where the
admin edits it; ``aisle_for`` reads the database, never this module."""

import functools
from typing import Any

# (name_en, name_es, emoji, position, comma-separated keywords in both languages; plural or accents optional)
BUILTIN_AISLES: list[tuple[str, str, str, int, str]] = [
    (
        "Fruit & veg",
        "Fruta y verdura",
        "🥦",
        10,
        """apple, banana, pear, grape, orange, lemon, lime, strawberry, raspberry, blueberry, cherry, peach,
        plum, melon, watermelon, pineapple, mango, kiwi, avocado, tomato, potato, onion, garlic, carrot,
        lettuce, spinach, cucumber, pepper, courgette, zucchini, aubergine, eggplant, broccoli, cauliflower,
        cabbage, celery, mushroom, leek, herbs, parsley, coriander, basil, ginger, sweet potato, salad, rocket,
        fruit, vegetables, veg, manzana, plátano, pera, uva, naranja, limón, fresa, frambuesa, arándano,
        cereza, melocotón, durazno, ciruela, sandía, piña, aguacate, palta, tomate, jitomate, patata, papa,
        cebolla, ajo, zanahoria, lechuga, espinaca, pepino, pimiento, calabacín, berenjena, brócoli,
        coliflor, col, repollo, apio, champiñón, seta, puerro, perejil, cilantro, albahaca, jengibre, boniato,
        batata, ensalada, rúcula, fruta, verdura""",
    ),
    (
        "Dairy & eggs",
        "Lácteos y huevos",
        "🥛",
        20,
        """milk, oat milk, almond milk, soy milk, egg, cheese, butter, yogurt, yoghurt, cream, sour cream,
        parmesan, mozzarella, cheddar, feta, custard, kefir, leche, leche de avena, leche de almendra, huevo,
        queso, queso rallado, mantequilla, yogur, nata, requesón, parmesano, natillas""",
    ),
    (
        "Bakery",
        "Panadería",
        "🍞",
        30,
        """bread, baguette, rolls, croissant, bagel, tortilla, wrap, pita, cake, muffin, buns, pan, pan de molde,
        panecillo, magdalena, bizcocho, bollo""",
    ),
    (
        "Meat & fish",
        "Carne y pescado",
        "🥩",
        40,
        """meat, chicken, chicken thighs, chicken breast, beef, mince, beef mince, pork, lamb, sausage, bacon, ham,
        turkey, steak, fish, salmon, cod, prawns, shrimp, chorizo, salami, carne, carne picada, pollo,
        pechuga, ternera, cerdo, cordero, salchicha, beicon, jamón, jamón serrano, jamón york, pavo, filete,
        pescado, salmón, merluza, bacalao, gamba, langostino, salchichón, lomo""",
    ),
    (
        "Pantry",
        "Despensa",
        "🥫",
        50,
        """rice, pasta, spaghetti, macaroni, noodles, flour, sugar, salt, oil, olive oil, vinegar, tuna,
        chickpeas, lentils, beans, tomato sauce, passata, ketchup, mayo, mayonnaise, mustard, cereal, oats,
        muesli, honey, jam, peanut butter, coffee, tea, cocoa, chocolate, biscuits, cookies, crisps, nuts,
        soup, stock, spices, arroz, espaguetis, macarrones, fideos, harina, azúcar, sal, aceite,
        aceite de oliva, vinagre, atún, garbanzos, lentejas, alubias, frijoles, judías, tomate frito,
        mayonesa, mostaza, cereales, avena, miel, mermelada, café, té, cacao, galletas, patatas fritas,
        frutos secos, sopa, caldo, especias""",
    ),
    (
        "Frozen",
        "Congelados",
        "🧊",
        60,
        """frozen peas, ice cream, frozen pizza, ice, fish fingers, helado, hielo, guisantes congelados,
        pizza congelada""",
    ),
    (
        "Drinks",
        "Bebidas",
        "🧃",
        70,
        """water, juice, orange juice, wine, red wine, white wine, beer, soda, cola, lemonade, sparkling water,
        agua, zumo, zumo de naranja, jugo, vino, vino tinto, vino blanco, cerveza, refresco, gaseosa""",
    ),
    (
        "Household",
        "Limpieza y hogar",
        "🧽",
        80,
        """toilet paper, kitchen roll, paper towels, bin bags, detergent, washing powder, washing up liquid,
        dish soap, bleach, sponges, cleaner, softener, foil, cling film, batteries, light bulb, charcoal,
        candles, napkins, balloons, dishwasher tablets, papel higiénico, papel de cocina, bolsas de basura,
        detergente, suavizante, lavavajillas, friegasuelos, lejía, estropajo, esponja, limpiador,
        papel de aluminio, papel film, pilas, bombilla, carbón, velas, servilletas, globos, jabón de platos""",
    ),
    (
        "Personal care & pharmacy",
        "Higiene y farmacia",
        "💊",
        90,
        """shampoo, conditioner, soap, toothpaste, toothbrush, deodorant, razor, sunscreen, plasters, ibuprofen,
        paracetamol, aspirin, vitamin, vitamin d, cough syrup, tissues, cotton pads, nappies, diapers, wipes,
        champú, acondicionador, jabón, pasta de dientes, cepillo de dientes, desodorante, cuchilla,
        crema solar, protector solar, tiritas, ibuprofeno, aspirina, vitamina, jarabe, jarabe para la tos,
        pañuelos, algodón, pañales, toallitas""",
    ),
    (
        "Pets",
        "Mascotas",
        "🐾",
        95,
        """dog food, cat food, cat litter, pet food, comida para el perro, comida para perro,
        comida para el gato, pienso, arena para gatos""",
    ),
]


# The same product in English and Spanish (and its regional names), so "got the milk" checks off "leche" and
# "is leche on the list?" finds "milk": a family writes in both languages to one list. One group a line.
BUILTIN_SYNONYMS: list[str] = [
    "milk, leche",
    "egg, huevo",
    "bread, pan",
    "butter, mantequilla",
    "cheese, queso",
    "yogurt, yoghurt, yogur",
    "cream, nata",
    "apple, manzana",
    "banana, plátano, platano, banano",
    "orange, naranja",
    "lemon, limón",
    "tomato, tomate, jitomate",
    "potato, patata, papa",
    "onion, cebolla",
    "garlic, ajo",
    "carrot, zanahoria",
    "lettuce, lechuga",
    "strawberry, fresa, frutilla",
    "avocado, aguacate, palta",
    "chicken, pollo",
    "beef, ternera",
    "ham, jamón",
    "fish, pescado",
    "rice, arroz",
    "pasta, pasta",
    "flour, harina",
    "sugar, azúcar",
    "salt, sal",
    "oil, aceite",
    "olive oil, aceite de oliva",
    "coffee, café",
    "tea, té",
    "biscuits, cookies, galletas",
    "crisps, chips, patatas fritas",
    "water, agua",
    "juice, zumo, jugo",
    "orange juice, zumo de naranja, jugo de naranja",
    "beer, cerveza",
    "wine, vino",
    "toilet paper, papel higiénico",
    "kitchen roll, paper towels, papel de cocina",
    "bin bags, bolsas de basura",
    "batteries, pilas",
    "soap, jabón",
    "shampoo, champú",
    "toothpaste, pasta de dientes",
    "tissues, pañuelos",
    "nappies, diapers, pañales",
    "dog food, comida para perro, comida para el perro, pienso",
]


@functools.cache
def _synonym_groups() -> dict[str, frozenset[str]]:
    from alfred.rules.text import name_key

    groups: dict[str, frozenset[str]] = {}
    for line in BUILTIN_SYNONYMS:
        keys = frozenset(name_key(word) for word in line.split(","))
        groups.update(dict.fromkeys(keys, keys))
    return groups


def synonym_keys(key: str) -> frozenset[str]:
    """The normalised names that mean the same product as ``key`` (itself included; itself alone when the
    dictionary has no group for it)."""
    return _synonym_groups().get(key, frozenset({key}))


def keywords_of(text: str) -> list[str]:
    return [" ".join(keyword.split()) for keyword in text.split(",") if keyword.strip()]


def load_builtin(aisle_model: Any, keyword_model: Any) -> None:
    """Create the built-in aisles and keywords that are missing (rows the family edited are left alone).
    Takes the model classes so the data migration can pass its historical models."""
    from alfred.rules.text import name_key

    for name_en, name_es, emoji, position, keywords in BUILTIN_AISLES:
        aisle, _created = aisle_model.objects.get_or_create(
            name_en=name_en, defaults={"name_es": name_es, "emoji": emoji, "position": position}
        )
        for keyword in keywords_of(keywords):
            keyword_model.objects.get_or_create(keyword=name_key(keyword), defaults={"aisle": aisle})
