"""Numbers as people type them, English and Spanish: digits ("2", "0,5") and words up to twenty."""

from decimal import Decimal

# Simplified spellings (see ``text.simplify``): "dos", not "Dos".
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
# For a rule on folded text: a number in digits (decimal point or comma) or in words, longest word first.
NUMBER_PATTERN = r"-?\d+(?:[.,]\d+)?|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))


def number_value(word: str) -> float | None:
    """What ``NUMBER_PATTERN`` matched, as a number ("dos" → 2.0, "0,5" → 0.5); None when it is none."""
    word = word.strip()
    if word in NUMBER_WORDS:
        return float(NUMBER_WORDS[word])
    try:
        return float(word.replace(",", "."))
    except ValueError:
        return None


def plain_number(value: float) -> int | float:
    """2.0 → 2, 0.5 → 0.5: whole numbers as ints, so tool arguments read as the user wrote them."""
    return int(value) if value == int(value) else value


def format_quantity(value: Decimal | float | int, language: str = "en") -> str:
    """2 → "2", 0.500 → "0.5" (Spanish: "0,5")."""
    number = Decimal(str(value)).normalize()
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",") if language == "es" else text
