"""Days as people name them, English and Spanish: "today", "tmrw", "mañana", "el lunes", "los domingos".

Every word here is *simplified* (see ``text.simplify``); every day is named canonically as "today",
"tomorrow" or an English weekday, "monday".."sunday".
"""

from datetime import date, timedelta

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
# RRULE BYDAY codes, in the order of DAYS.
WEEKDAY_CODES = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
# Weekday words, singular and plural ("every Sunday" / "los domingos") → 0 (Monday) .. 6 (Sunday).
WEEKDAY_WORDS: dict[str, int] = {}
for _index, _day in enumerate(DAYS):
    WEEKDAY_WORDS[_day] = _index
    WEEKDAY_WORDS[_day + "s"] = _index
for _word, _canonical in list(DAY_WORDS.items()):
    if _canonical in DAYS:
        WEEKDAY_WORDS[_word] = DAYS.index(_canonical)
        WEEKDAY_WORDS[_word + "s"] = DAYS.index(_canonical)
# For a rule on folded text: any day word, longest first.
DAY_PATTERN = "|".join(sorted(DAY_WORDS, key=len, reverse=True))


def day_of(phrase: str | None) -> str | None:
    """A day phrase → "today" | "tomorrow" | "monday".."sunday"; None for none or "this week"."""
    if not phrase:
        return None
    words = phrase.split()
    if words[-2:] == ["esta", "manana"]:
        return "today"
    return DAY_WORDS.get(words[-1])


def day_date(day: str, *, today: date) -> date:
    """ "today" | "tomorrow" | "monday".."sunday" → the date (a weekday is the next one, today included)."""
    if day == "tomorrow":
        return today + timedelta(days=1)
    if day in DAYS:
        return today + timedelta(days=(DAYS.index(day) - today.weekday()) % 7)
    return today
