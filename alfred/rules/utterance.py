"""The request part of a message, for rules to match: an ``Utterance`` holds the original text and its
folded twin (see ``text.fold``), aligned character by character, with greetings, politeness and addressing
stripped from both ends.

Rules match on the folded text (no accents, lower case, emoji blanked) and cut names from the original,
so "añade café" is matched as "anade cafe" and stores "café".
"""

import re
from dataclasses import dataclass

from alfred.rules.text import fold

# Said before the request: greetings, addressing Alfred, politeness, "can you" (matched from the start).
LEADING_FILLER = re.compile(
    r"(?:[\s,.:;!¿¡-]|"
    r"(?:hey|hi|hello|hiya|hola|oye|oiga|ok|okay|vale|bueno|so|right|please|pls|plz|por favor|porfa|porfavor|"
    r"can you|could you|can u|could u|would you|will you|would u|alfred|puedes|podrias|me puedes|me podrias|"
    r"quick one|una cosa)(?![a-z0-9']))+"
)
# Said after it: politeness, thanks, laughter, "again", "too". Matched on the last few characters only
# (every word here is shorter than the window), so a message of 2,000 commas costs nothing.
TRAILING_WORD = re.compile(
    r"(?<![a-z0-9'])(?:please|pls|plz|por favor|porfa|porfavor|thanks|thank you|thx|ty|gracias|alfred|lol|haha|"
    r"hahaha|jaja|jajaja|xd|asap|again|too|tambien|as well|for me|por fa|de nuevo|otra vez)$"
)
TRAILING_WINDOW = 24
TRAILING_MARKS = " ,.:;!"
# Question and exclamation marks split clauses ("me mandas la lista? estoy en el súper").
CLAUSE_MARKS = str.maketrans({"?": ",", "¿": ",", "!": ",", "¡": ",", "\n": ","})


@dataclass(frozen=True)
class Utterance:
    """The request part of a message; ``folded`` has exactly the length of ``original``."""

    original: str
    folded: str

    @classmethod
    def of(cls, text: str) -> "Utterance":
        """The message with its leading and trailing filler stripped, blanks collapsed."""
        original, folded = collapse_spaces(text, fold(text).translate(CLAUSE_MARKS))
        start, end = 0, len(folded)
        while start < end:
            before = (start, end)
            lead = LEADING_FILLER.match(folded, start, end)
            if lead:
                start = lead.end()
            end = start + len(folded[start:end].rstrip(TRAILING_MARKS))
            window = max(start, end - TRAILING_WINDOW)
            word = TRAILING_WORD.search(folded[window:end])
            if word:
                end = window + word.start()
            if (start, end) == before:
                break
        return cls(original=original[start:end], folded=folded[start:end])

    def cut(self, start: int, end: int) -> "Utterance":
        """The part between two positions, trimmed of spaces and commas on both texts alike."""
        piece = self.folded[start:end]
        left = len(piece) - len(piece.lstrip(" ,"))
        right = len(piece.rstrip(" ,"))
        return Utterance(original=self.original[start + left : start + right], folded=piece[left:right])

    def group(self, found: re.Match[str], name: str) -> "Utterance":
        """The part a named group of a match on ``folded`` covers (trimmed like ``cut``)."""
        start, end = found.span(name)
        return self.cut(start, end)

    def clean(self) -> str:
        """Folded, with only letters, digits, apostrophes, commas and colons, single-spaced (for templates
        that need no original text)."""
        kept = re.sub(r"[^a-z0-9',: ]", " ", self.folded)
        kept = re.sub(r"\s*,\s*", ", ", kept)
        return " ".join(kept.split()).strip(" ,")


def collapse_spaces(original: str, folded: str) -> tuple[str, str]:
    """Runs of blanks (spaces, emoji) become one space in both texts at the same places, so they stay
    aligned, and no rule ever backtracks over a long run of spaces."""
    kept_original: list[str] = []
    kept_folded: list[str] = []
    for char, folded_char in zip(original, folded, strict=True):
        if folded_char.isspace():
            if not kept_folded or kept_folded[-1] == " ":
                continue
            char = folded_char = " "
        kept_original.append(char)
        kept_folded.append(folded_char)
    if kept_folded and kept_folded[-1] == " ":
        kept_original.pop()
        kept_folded.pop()
    return "".join(kept_original), "".join(kept_folded)
