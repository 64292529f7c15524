"""When, as people say it, English and Spanish: "Saturday", "tomorrow afternoon", "this weekend", "next
week", "at 5pm on Friday", "el sábado", "mañana por la tarde", "el finde", "pasado mañana".

``when_span(text, now=…)`` turns such a phrase into a span of local time (start, end) with what it names
(a day, part of a day, a moment, a weekend, a week), or None when a word is left it does not know — the
rules abstain rather than guess. Small on purpose: dateparser would understand more, at ~40 MiB in every
process that imports it (README "Calendar bridge").
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

from alfred.rules.days import DAY_WORDS, DAYS
from alfred.rules.text import fold

Kind = Literal["day", "part", "moment", "weekend", "week", "days"]

# Hours a part of the day covers (end exclusive).
PARTS = {"morning": (8, 12), "afternoon": (12, 18), "evening": (18, 23)}
PART_WORDS = {
    "in the morning": "morning",
    "morning": "morning",
    "por la manana": "morning",
    "de manana": "morning",
    "in the afternoon": "afternoon",
    "afternoon": "afternoon",
    "por la tarde": "afternoon",
    "de tarde": "afternoon",
    "tarde": "afternoon",
    "in the evening": "evening",
    "tonight": "evening",
    "evening": "evening",
    "at night": "evening",
    "night": "evening",
    "por la noche": "evening",
    "de noche": "evening",
    "noche": "evening",
}
PART_RE = re.compile(
    r"(?<![a-z])(?:" + "|".join(sorted(map(re.escape, PART_WORDS), key=len, reverse=True)) + r")(?![a-z])"
)
# "at 5pm", "at 17:00", "5:30 pm", "a las 5", "a las 17:30", "a las 5 de la tarde".
TIME_RE = re.compile(
    r"(?:(?:at|around|a\s+las?|sobre\s+las?|hacia\s+las?)\s+)?(?P<hour>\d{1,2})(?::(?P<minute>\d{2})|h)?\s*"
    r"(?P<ampm>am|pm|a\.m\.|p\.m\.|de\s+la\s+manana|de\s+la\s+tarde|de\s+la\s+noche)?(?![0-9a-z])"
)
WEEKEND_RE = re.compile(
    r"(?:(?P<next>next|el\s+proximo|el\s+otro)\s+|this\s+|the\s+|este\s+|el\s+)?(?:weekend|finde|fin\s+de\s+semana)"
    r"(?P<after>\s+que\s+viene|\s+proximo)?"
)
WEEK_RE = re.compile(
    r"(?:(?P<this>this|esta)\s+week|esta\s+semana|(?:next\s+week|la\s+semana\s+que\s+viene|la\s+proxima\s+semana|"
    r"la\s+semana\s+proxima|la\s+otra\s+semana))(?![a-z])"
)
DAY_RE = re.compile(
    r"(?:(?P<next>next|el\s+proximo|el\s+que\s+viene)\s+|(?:this|on|el|este|for|para\s+el|on\s+the)\s+)*"
    r"(?P<day>day\s+after\s+tomorrow|pasado\s+manana|"
    + "|".join(sorted((w for w in DAY_WORDS if w not in ("tonight",)), key=len, reverse=True))
    + r")(?P<after>\s+que\s+viene|\s+proximo)?(?![a-z])"
)
# Words a when-phrase may carry around what it names.
FILLER = re.compile(
    r"(?<![a-z])(?:on|at|for|the|this|el|la|los|las|a|en|para|este|esta|de|del|all|day|todo|dia)(?![a-z])"
)


@dataclass(frozen=True)
class Span:
    start: datetime
    end: datetime
    kind: Kind
    # The first day the phrase names, for wording ("on Saturday").
    day: date


def _at(day: date, hour: int, now: datetime, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=now.tzinfo)


def _day_of(word: str, *, today: date, next_one: bool) -> date:
    if word in ("day after tomorrow", "pasado manana"):
        return today + timedelta(days=2)
    canonical = DAY_WORDS[word]
    if canonical == "today":
        return today
    if canonical == "tomorrow":
        return today + timedelta(days=1)
    ahead = (DAYS.index(canonical) - today.weekday()) % 7
    # "next Saturday" on a Saturday is a week on; on other days it is the coming one, as most people mean.
    return today + timedelta(days=ahead or (7 if next_one else 0))


def when_span(text: str, *, now: datetime) -> Span | None:
    """The local span ``text`` names, relative to ``now`` (aware, in the member's zone); None if unsure."""
    # Folded (lower case, no accents), with only what times are written with left: "17:30", "5pm", "p.m.".
    folded = (
        " "
        + " ".join(
            re.sub(r"[^a-z0-9:.]+|\.(?![a-z]\.)", " ", fold(text).replace("p.m.", "pm").replace("a.m.", "am")).split()
        )
        + " "
    )
    today = now.date()
    rest = folded
    span: Span | None = None
    if match := WEEK_RE.search(rest):
        if match["this"] or "esta" in match[0]:
            start, end = today, today + timedelta(days=7 - today.weekday())
        else:
            start = today + timedelta(days=7 - today.weekday())
            end = start + timedelta(days=7)
        span = Span(_at(start, 0, now), _at(end, 0, now), "week", start)
        rest = rest.replace(match[0], " ", 1)
    elif match := WEEKEND_RE.search(rest):
        saturday = today + timedelta(days=(5 - today.weekday()) % 7)
        if today.weekday() == 6:  # on Sunday, "this weekend" is what is left of it
            saturday = today - timedelta(days=1)
        if match["next"] or match["after"]:
            saturday += timedelta(days=7)
        start = max(saturday, today)
        span = Span(_at(start, 0, now), _at(saturday + timedelta(days=2), 0, now), "weekend", start)
        rest = rest.replace(match[0], " ", 1)
    day: date | None = None
    # "mañana" alone is tomorrow, "por la mañana" the morning: the part (longest phrase first) goes first.
    if part_match := PART_RE.search(rest):
        rest = rest[: part_match.start()] + " " + rest[part_match.end() :]
    if span is None and (match := DAY_RE.search(rest)):
        day = _day_of(re.sub(r"\s+", " ", match["day"]), today=today, next_one=bool(match["next"] or match["after"]))
        rest = rest.replace(match[0], " ", 1)
    moment: time | None = None
    if match := TIME_RE.search(rest):
        hour, minute = int(match["hour"]), int(match["minute"] or 0)
        suffix = (match["ampm"] or "").replace(".", "")
        if suffix in ("pm", "de la tarde", "de la noche") and hour < 12:
            hour += 12
        elif suffix in ("am", "de la manana") and hour == 12:
            hour = 0
        elif not suffix and 1 <= hour <= 7 and not match["minute"]:
            hour += 12  # "at 5" is in the afternoon for a question about being free
        if hour > 23 or minute > 59:
            return None
        moment = time(hour, minute)
        rest = rest.replace(match[0], " ", 1)
    if FILLER.sub(" ", rest).strip():
        return None  # a word we do not know: not ours to guess
    if span is not None:
        return span if moment is None and part_match is None else None
    if day is None and moment is None and part_match is None:
        return None
    day = day or today
    if moment is not None:
        start = datetime.combine(day, moment, tzinfo=now.tzinfo)
        return Span(start, start + timedelta(hours=1), "moment", day)
    if part_match is not None:
        first, last = PARTS[PART_WORDS[part_match[0]]]
        return Span(_at(day, first, now), _at(day, last, now), "part", day)
    return Span(_at(day, 0, now), _at(day + timedelta(days=1), 0, now), "day", day)
