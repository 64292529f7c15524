"""What both home phrasebooks need: the message as an ``Utterance`` (original and folded text that line up
character by character), politeness and addressing stripped, and small parsers for days and numbers.

Rules match on the folded text (no accents, lower case, emoji blanked) and cut names from the original,
so "añade café" is matched as "anade cafe" and stores "café".
"""

import re
from dataclasses import dataclass

from home_skills.text import fold
from home_skills.vocabulary import DAY_WORDS, NUMBER_WORDS

# Said before the request: greetings, addressing Alfred, politeness, "can you".
LEADING_FILLER = re.compile(
    r"^(?:[\s,.:;!¿¡-]|"
    r"(?:hey|hi|hello|hiya|hola|oye|oiga|ok|okay|vale|bueno|so|right|please|pls|plz|por favor|porfa|porfavor|"
    r"can you|could you|can u|could u|would you|will you|would u|alfred|puedes|podrias|me puedes|me podrias|"
    r"quick one|una cosa)(?![a-z0-9']))+"
)
# Said after it: politeness, thanks, laughter, "again", "too".
TRAILING_FILLER = re.compile(
    r"(?:[\s,.:;!]|"
    r"(?<![a-z0-9'])(?:please|pls|plz|por favor|porfa|porfavor|thanks|thank you|thx|ty|gracias|alfred|lol|haha|"
    r"hahaha|jaja|jajaja|xd|asap|again|too|tambien|as well|for me|por fa|de nuevo|otra vez|thanks alfred))+$"
)
# Question and exclamation marks split clauses ("me mandas la lista? estoy en el súper").
CLAUSE_MARKS = str.maketrans({"?": ",", "¿": ",", "!": ",", "¡": ",", "\n": ","})
DAY_PATTERN = "|".join(sorted(DAY_WORDS, key=len, reverse=True))
NUMBER_PATTERN = r"-?\d+(?:[.,]\d+)?|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))


@dataclass(frozen=True)
class Utterance:
    """The request part of a message; ``folded`` has exactly the length of ``original``."""

    original: str
    folded: str

    @classmethod
    def of(cls, text: str) -> "Utterance":
        original = text.strip()
        folded = fold(original).translate(CLAUSE_MARKS)
        start, end = 0, len(folded)
        while True:
            core = folded[start:end]
            lead = LEADING_FILLER.match(core)
            trail = TRAILING_FILLER.search(core)
            moved = False
            if lead and lead.end() > 0:
                start += lead.end()
                moved = True
            core = folded[start:end]
            trail = TRAILING_FILLER.search(core)
            if trail and trail.start() < len(core):
                end = start + trail.start()
                moved = True
            if not moved or start >= end:
                break
        return cls(original=original[start:end], folded=folded[start:end])

    def cut(self, start: int, end: int) -> "Utterance":
        """The part between two positions, trimmed of spaces and commas on both texts alike."""
        piece = self.folded[start:end]
        left = len(piece) - len(piece.lstrip(" ,"))
        right = len(piece.rstrip(" ,"))
        return Utterance(original=self.original[start + left : start + right], folded=piece[left:right])

    def group(self, found: re.Match[str], name: str) -> "Utterance":
        start, end = found.span(name)
        return self.cut(start, end)

    def clean(self) -> str:
        """Folded, with only letters, digits, apostrophes, commas and colons, single-spaced (for the chore
        templates, which need no original text)."""
        kept = re.sub(r"[^a-z0-9',: ]", " ", self.folded)
        kept = re.sub(r"\s*,\s*", ", ", kept)
        return " ".join(kept.split()).strip(" ,")


def number_value(word: str) -> float | None:
    word = word.strip()
    if word in NUMBER_WORDS:
        return float(NUMBER_WORDS[word])
    try:
        return float(word.replace(",", "."))
    except ValueError:
        return None


def plain_number(value: float) -> int | float:
    return int(value) if value == int(value) else value


def day_of(phrase: str | None) -> str | None:
    """A day phrase → "today" | "tomorrow" | "monday".."sunday"; None for none or "this week"."""
    if not phrase:
        return None
    words = phrase.split()
    if words[-2:] == ["esta", "manana"]:
        return "today"
    return DAY_WORDS.get(words[-1])
