"""A phrasebook made of regular expressions, for skills whose phrasings are fixed sentences.

    RegexPhrasebook([Phrase(r"ping", "ping"), Phrase(r"call (?P<who>.+)", "contact_call", lambda m: {"who": m["who"]})])

Skills whose phrasings vary more write their own ``match(text, language)`` on ``utterance.Utterance``.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from alfred.registry import Intent, Phrasebook

# The tool's arguments from the match (its named groups, typically).
Arguments = Callable[[re.Match[str]], dict[str, Any]]


def no_arguments(_: re.Match[str]) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Phrase:
    """A message that calls ``tool``: ``pattern`` must match it whole (case ignored)."""

    pattern: str
    tool: str
    arguments: Arguments = no_arguments


# Politeness and addressing that carry no meaning for the rules: "please", "oye alfred", "porfa", "!!",
# and Alfred's name at either end ("how does this work alfred?").
FILLER = re.compile(
    r"^(?:(?:hey|hi|hola|oye|ok|okay|vale)\s+)?(?:alfred[\s,:]+)?|"
    # (?<![,\s]) starts the tail only where a run of separators begins: linear even on 2,000 commas.
    r"(?<![,\s])[,\s]*(?:(?<![\w'])(?:please|pls|plz|por favor|porfa|thanks|gracias|alfred)[\s.!?]*)+$|"
    r"[\s.!?¡¿]+$",
    re.IGNORECASE,
)


def strip_filler(text: str) -> str:
    """The message without greetings, "alfred", politeness or trailing punctuation at either end."""
    previous = None
    while previous != text:
        previous, text = text, FILLER.sub("", text).strip()
    return text


class RegexPhrasebook:
    """Tries each phrase against the whole message (after filler is stripped); first full match wins."""

    def __init__(self, phrases: Iterable[Phrase]) -> None:
        self.phrases = [(re.compile(p.pattern, re.IGNORECASE), p) for p in phrases]

    def match(self, text: str, language: str) -> list[Intent] | None:
        cleaned = strip_filler(text)
        for regex, phrase in self.phrases:
            found = regex.fullmatch(cleaned)
            if found:
                return [Intent(phrase.tool, phrase.arguments(found))]
        return None


class FirstMatch:
    """Several phrasebooks as one skill's: the first that understands the message answers (a skill's own
    phrasings, then its last word, e.g. a short answer for requests that are not its to do)."""

    def __init__(self, *phrasebooks: Phrasebook) -> None:
        self.phrasebooks = phrasebooks

    def match(self, text: str, language: str) -> list[Intent] | None:
        for phrasebook in self.phrasebooks:
            found = phrasebook.match(text, language)
            if found:
                return found
        return None
