"""Folding and normalising text, for rules that match and for names that are compared.

``fold`` keeps one character per character so a regular expression can match on the folded text while the
words it captures are cut from the original (with its accents and capitals). ``name_key`` is what makes
"Bananas", "banana" and "bananas" one name, and "huevos"/"huevo" another.
"""

import re
import unicodedata

# Emoji, pictographs, their modifiers and joiners: noise for the rules.
NOISE_CATEGORIES = frozenset({"So", "Sk", "Cf", "Co", "Cs", "Mn", "Me"})
ARTICLES = frozenset("the a an some el la los las un una unos unas".split())
WORD = re.compile(r"[a-z0-9]+")
# Phones type curly quotes; the rules are written with straight ones.
QUOTES = {"\u2019": "'", "\u2018": "'", "\u00b4": "'", "`": "'", "\u201c": '"', "\u201d": '"'}
# name_key values are stored in columns of this size.
NAME_KEY_MAX_CHARS = 500


def fold_char(char: str) -> str:
    """One character folded: lower case, without its accent; a space for emoji and other noise."""
    if char in QUOTES:
        return QUOTES[char]
    if unicodedata.category(char) in NOISE_CATEGORIES:
        return " "
    lowered = char.lower()
    if len(lowered) != 1:
        lowered = char
    base = unicodedata.normalize("NFD", lowered)[0]
    return base if unicodedata.category(base) not in NOISE_CATEGORIES else " "


def fold(text: str) -> str:
    """Lower case without accents or emoji, **same length** as ``text`` (positions line up)."""
    return "".join(fold_char(char) for char in text)


def simplify(text: str) -> str:
    """Folded, punctuation dropped, spaces collapsed: for comparing names and titles."""
    return " ".join(WORD.findall(fold(text).replace("'", "")))


def word_key(word: str) -> str:
    """One spelling for the singular and the plural of an English or Spanish word.

    Not a real stemmer: it only has to give both forms the same key ("apples"/"apple" → "appl",
    "limones"/"limón" → "limon", "strawberries"/"strawberry" → "strawberri", "nueces"/"nuez" → "nuec").
    """
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    if word.endswith("e") and len(word) >= 4:
        word = word[:-1]
    if word.endswith("y") and len(word) >= 4:
        word = word[:-1] + "i"
    if word.endswith("z"):
        word = word[:-1] + "c"
    return word


def name_key(name: str) -> str:
    """The normalised name two names are merged on: case, accents, articles and plurals ignored."""
    words = simplify(name).split()
    while len(words) > 1 and words[0] in ARTICLES:
        words = words[1:]
    return " ".join(word_key(word) for word in words)[:NAME_KEY_MAX_CHARS]
