"""Chore phrasings, English and Spanish: done, who, due, mine, add, assign, skip, snooze.

Chores are data, so the rules first find which chore the message names (title, alias or a synonym such as
"hoovered" or "los platos"), put a placeholder in its place, and then match whole-sentence templates:
``<c>`` for a chore named as a thing or an action, ``<cp>`` for one named by a past action ("hoovered").
A message naming two chores, or none where one is needed, is left to the LLM.
"""

import re
from typing import Any

from alfred.models import Member
from alfred.registry import Intent
from alfred.rules.days import DAY_PATTERN, WEEKDAY_CODES, WEEKDAY_WORDS, day_of
from alfred.rules.numbers import NUMBER_PATTERN, number_value
from alfred.rules.text import simplify
from alfred.rules.utterance import Utterance
from home_skills import selectors
from home_skills.models import Chore
from home_skills.vocabulary import PAST_SURFACES

DAY = rf"(?:\s+(?:on\s+|this\s+|next\s+|el\s+|este\s+|para\s+|for\s+)?(?P<day>esta manana|{DAY_PATTERN}))?"
# "this week", "esta vez": said, but not a day the tool takes.
PERIOD = r"(?:\s+(?:this\s+week|this\s+time|next\s+time|esta\s+semana|esta\s+vez|por\s+hoy|for\s+today|for\s+now))?"
ARTICLE_EN = r"(?:(?:the|my|our)\s+)?"
ARTICLE_ES = r"(?:(?:el|la|los|las|mi|mis|lo\s+de\s+la|lo\s+del|lo\s+de\s+los|lo\s+de\s+las|lo\s+de)\s+)?"
PLACE_EN = (
    r"(?:\s+(?:in\s+|on\s+)?(?:the\s+)?(?:living\s+room|lounge|kitchen|whole\s+house|house|flat|upstairs|downstairs|"
    r"bedrooms?|hall(?:way)?|stairs|bathroom|floors?|carpets?|rugs?|landing))?"
)
PLACE_ES = (
    r"(?:\s+(?:en\s+)?(?:el\s+|la\s+|los\s+|las\s+)?(?:salon|cocina|casa|toda\s+la\s+casa|arriba|abajo|habitaciones|"
    r"habitacion|pasillo|escaleras|bano|dormitorios?|suelo|cuarto))?"
)
DONE_TAIL = r"(?:\s*,?\s*(?:all\s+)?(?:done|finished|sorted))?"
FROM_NOW = r"(?:from\s+now\s+on|a\s+partir\s+de\s+ahora|desde\s+ahora|de\s+ahora\s+en\s+adelante)"

DONE_RULES = [
    re.compile(
        r"^(?:(?:i|we)\s+|i'?ve\s+|we'?ve\s+|ive\s+|i\s+have\s+|we\s+have\s+)?(?:just\s+|already\s+|finally\s+)?"
        r"(?:done|did|finished|completed|took\s+out|taken\s+out|took|taken|put\s+out|emptied|washed|cleaned|"
        r"hung\s+up|hung\s+out|hanged|folded|put\s+away|sorted(?:\s+out)?|unloaded|loaded|ran|run|started)"
        rf"\s+(?:with\s+)?{ARTICLE_EN}<c>(?:\s+out)?{PLACE_EN}{DONE_TAIL}$"
    ),
    re.compile(
        rf"^{ARTICLE_EN}<c>(?:\s+(?:is|are|'s|were|was|have\s+been|has\s+been))?\s+(?:all\s+)?"
        r"(?:done|finished|sorted|complete|completed|out|taken\s+out|clean|washed|put\s+away|hung\s+up)$"
    ),
    re.compile(
        r"^(?:(?:i|we)\s+|i'?ve\s+|we'?ve\s+|i\s+have\s+)?(?:just\s+|already\s+|finally\s+)?<cp>"
        rf"(?:\s+{ARTICLE_EN}<c>)?{PLACE_EN}{DONE_TAIL}$"
    ),
    re.compile(
        r"^(?:ya\s+)?(?:lo\s+)?(?:he\s+|hemos\s+|has\s+)?(?:ya\s+)?"
        r"(?:sacado|saque|sacamos|bajado|baje|bajamos|tirado|tire|tendido|tendi|puesto|puse|pusimos|pasado|pase|"
        r"pasamos|hecho|hice|hicimos|lavado|lave|recogido|recogi|vaciado|vacie|terminado|termine|acabado|acabe|"
        r"limpiado|limpie|doblado|doble|colgado|colgue)"
        rf"(?:\s+(?:de|con))?\s+{ARTICLE_ES}<c>{PLACE_ES}$"
    ),
    re.compile(rf"^(?:acabo\s+de|he\s+terminado\s+de|ya\s+he\s+terminado\s+de|acabe\s+de)\s+<c>{PLACE_ES}$"),
    re.compile(rf"^(?:ya\s+)?(?:he\s+|hemos\s+)?<cp>(?:\s+{ARTICLE_ES}<c>)?{PLACE_ES}$"),
    re.compile(
        rf"^(?:(?:ya\s+)?(?:listo|lista|hecho|hecha|terminado)\s*,?\s*)?{ARTICLE_ES}<c>\s+(?:ya\s+)?"
        r"(?:hecha|hecho|hechos|hechas|lista|listo|listos|listas|sacada|sacado|fregados|fregado|lavados|lavadas|"
        r"lavado|tendida|tendido|puesta|puesto|terminada|terminado|terminados|recogida|recogidos|bajada|aspirado)$"
    ),
    re.compile(
        r"^(?:ya\s+)?(?:esta\s+|estan\s+)?(?:hecho|hecha|listo|terminado)\s+(?:lo\s+de\s+)?(?:el|la|los|las)\s+<c>$"
    ),
]
WHO_RULES = [
    re.compile(
        r"^(?:who'?s|whos|who\s+is|who\s+are|who'?ll|who\s+will)\s+(?:be\s+)?"
        r"(?:doing|on|taking|taking\s+out|emptying|washing|putting\s+out|in\s+charge\s+of)\s+"
        rf"{ARTICLE_EN}<c>(?:\s+out)?(?:\s+duty)?{DAY}{PERIOD}$"
    ),
    re.compile(
        r"^who\s+(?:does|do|did|takes|take|empties|washes|has\s+to\s+do|has\s+to|needs\s+to\s+do|needs\s+to|"
        r"should\s+do|should|must|is\s+supposed\s+to\s+do|is\s+supposed\s+to)\s+(?:out\s+)?"
        rf"{ARTICLE_EN}<c>(?:\s+out)?{DAY}{PERIOD}$"
    ),
    re.compile(
        r"^whose\s+(?:turn|job|go)\s+(?:is\s+it\s+)?(?:for|to\s+do|to\s+take\s+out|to\s+take|to\s+empty|to|on)\s+"
        rf"{ARTICLE_EN}<c>(?:\s+out)?{DAY}{PERIOD}$"
    ),
    re.compile(
        r"^(?:a\s+)?quien\s+(?:le\s+)?toca\s+(?:(?:hacer|sacar|bajar|poner|pasar|tender|lavar)\s+)?"
        rf"{ARTICLE_ES}<c>{DAY}{PERIOD}$"
    ),
    re.compile(
        r"^quien\s+(?:saca|baja|pone|pasa|tiende|hace|lava|friega|"
        r"tiene\s+que(?:\s+(?:sacar|bajar|poner|pasar|tender|hacer|lavar))?|"
        r"va\s+a(?:\s+(?:sacar|bajar|poner|pasar|tender|hacer|lavar))?)"
        rf"\s+{ARTICLE_ES}<c>{DAY}{PERIOD}$"
    ),
    re.compile(r"^quien\s+(?:tiene\s+que\s+|va\s+a\s+)?<c>" + DAY + PERIOD + "$"),
    re.compile(rf"^de\s+quien\s+es\s+(?:el\s+)?turno\s+(?:de|del|para)\s+{ARTICLE_ES}<c>{DAY}{PERIOD}$"),
]
DUE_RULES = [
    re.compile(rf"^(?:what|which)\s+chores\s+(?:are|is)\s+(?:due|on|there|left)(?:\s+to\s+do)?{DAY}$"),
    re.compile(rf"^(?:any|are\s+there\s+any)\s+chores(?:\s+(?:due|left|to\s+do))?{DAY}$"),
    re.compile(rf"^(?:chores|todays\s+chores|today'?s\s+chores){DAY}$"),
    re.compile(r"^chores\s+for\s+(?P<day>" + DAY_PATTERN + ")$"),
    re.compile(rf"^(?:what'?s|what\s+is|whats)\s+due{DAY}$"),
    re.compile(rf"^(?:is\s+there\s+)?anything\s+(?:to\s+do|due){DAY}$"),
    re.compile(rf"^what\s+(?:needs|has)\s+to\s+be\s+done{DAY}(?:\s+(?:at|around)\s+(?:home|the\s+house))?$"),
    re.compile(rf"^(?:que|cuales)\s+tareas\s+(?:hay|tocan|toca|quedan|tenemos){DAY}$"),
    re.compile(rf"^(?:hay\s+)?algo\s+que\s+hacer{DAY}(?:\s+en\s+casa)?$"),
    re.compile(rf"^tareas(?:\s+pendientes|\s+de\s+(?P<day2>hoy|manana))?{DAY}$"),
    re.compile(rf"^que\s+hay\s+que\s+hacer{DAY}(?:\s+en\s+(?:casa|la\s+casa))?$"),
]
# "what chores are due this week?", "qué tareas hay esta semana": chore_due over the rest of the week.
WEEK = r"\s+(?:this\s+week|for\s+the\s+week|for\s+this\s+week|esta\s+semana|para\s+esta\s+semana|de\s+esta\s+semana)"
DUE_WEEK_RULES = [
    re.compile(rf"^(?:what|which)\s+chores\s+(?:are|is)\s+(?:due|on|there|left)(?:\s+to\s+do)?{WEEK}$"),
    re.compile(rf"^(?:any|are\s+there\s+any)?\s*chores(?:\s+(?:due|left|to\s+do))?{WEEK}$"),
    re.compile(rf"^(?:what'?s|what\s+is|whats)\s+due{WEEK}$"),
    re.compile(rf"^(?:que|cuales)\s+tareas\s+(?:hay|tocan|toca|quedan|tenemos){WEEK}$"),
    re.compile(rf"^tareas(?:\s+pendientes)?{WEEK}$"),
    re.compile(rf"^que\s+hay\s+que\s+hacer{WEEK}(?:\s+en\s+(?:casa|la\s+casa))?$"),
]
MINE_RULES = [
    re.compile(r"^(?:my|all\s+my)\s+chores$"),
    re.compile(r"^(?:what|which)\s+(?:are|r)\s+my\s+chores(?:\s+today)?$"),
    re.compile(r"^(?:what|which)\s+chores\s+(?:are\s+mine|do\s+i\s+have|have\s+i\s+got)(?:\s+today)?$"),
    re.compile(
        r"^what\s+(?:do\s+i\s+have\s+to\s+do|have\s+i\s+got\s+to\s+do|do\s+i\s+need\s+to\s+do|'?s\s+on\s+my\s+plate)"
        r"(?:\s+today)?$"
    ),
    re.compile(r"^(?:mis\s+tareas|(?:que|cuales)\s+(?:son\s+)?mis\s+tareas)(?:\s+(?:de|para)\s+hoy)?$"),
    re.compile(r"^que\s+me\s+toca(?:\s+a\s+mi)?(?:\s+hacer)?(?:\s+hoy)?$"),
    re.compile(r"^que\s+tengo\s+que\s+hacer(?:\s+yo)?(?:\s+hoy)?(?:\s+yo)?$"),
]
ASSIGN_RULES = [
    re.compile(
        rf"^(?:assign|give|hand)\s+{ARTICLE_EN}<c>\s+to\s+(?P<who>[a-z]+)(?:\s+(?:{FROM_NOW}|for\s+now|permanently))?$"
    ),
    re.compile(
        rf"^(?:{FROM_NOW}\s*,?\s*)?{ARTICLE_EN}<c>\s+(?:are|is)\s+(?P<who>[a-z]+)'?s\s+(?:job|chore|thing|task)$"
    ),
    re.compile(rf"^{ARTICLE_EN}<c>\s+(?:are|is)\s+(?P<who>[a-z]+)'?s\s+(?:job|chore|thing|task)\s+{FROM_NOW}$"),
    re.compile(rf"^(?:make|let)\s+(?P<who>[a-z]+)\s+(?:do|take\s+care\s+of|responsible\s+for)\s+{ARTICLE_EN}<c>$"),
    re.compile(
        r"^(?:asigna|asignale|asignar|dale|pasale|encarga)\s+"
        rf"{ARTICLE_ES}<c>\s+a\s+(?P<who>[a-z]+)(?:\s+{FROM_NOW})?$"
    ),
    re.compile(
        rf"^(?P<lead>{FROM_NOW}\s*,?\s*)?{ARTICLE_ES}<c>\s+(?:le\s+toca|le\s+tocan|les\s+toca|son\s+cosa\s+de|"
        r"es\s+cosa\s+de|es\s+de|son\s+de|es\s+tarea\s+de|la\s+hace|lo\s+hace|los\s+hace|las\s+hace)\s+(?:a\s+)?"
        rf"(?P<who>[a-z]+)(?P<tail>\s+{FROM_NOW})?$"
    ),
]
SKIP_RULES = [
    re.compile(
        rf"^(?:let'?s\s+|lets\s+|we\s+can\s+|we'?ll\s+)?skip\s+{ARTICLE_EN}<c>(?:\s+(?:today|tonight)){{0,1}}{PERIOD}$"
    ),
    re.compile(
        r"^(?:(?:hoy|esta\s+semana|esta\s+vez)\s+)?(?:nos\s+saltamos|saltate|saltamos|salta|omite|nos\s+saltamos)\s+"
        rf"{ARTICLE_ES}<c>(?:\s+(?:hoy))?{PERIOD}$"
    ),
]
SNOOZE_RULES = [
    re.compile(
        rf"^(?:snooze|postpone|delay|push(?:\s+back)?|move|put\s+off)\s+{ARTICLE_EN}<c>(?:\s+back)?\s+"
        rf"(?:(?:for|by)\s+)?(?P<n>{NUMBER_PATTERN}|a|an)\s+(?P<unit>days?|weeks?)$"
    ),
    re.compile(
        rf"^(?:snooze|postpone|delay|push(?:\s+back)?|move|put\s+off)\s+{ARTICLE_EN}<c>(?:\s+back)?\s+"
        r"(?:to|until|till|til)\s+(?P<tomorrow>tomorrow|tomorow|tmrw)$"
    ),
    re.compile(
        rf"^(?:pospon|posponer|aplaza|aplazar|retrasa|retrasar|mueve)\s+{ARTICLE_ES}<c>\s+"
        rf"(?:(?:por|durante|unos|unas)\s+)?(?P<n>{NUMBER_PATTERN}|un|una)\s+(?P<unit>dias?|semanas?)$"
    ),
    re.compile(
        rf"^(?:pospon|posponer|aplaza|aplazar|retrasa|retrasar|mueve)\s+{ARTICLE_ES}<c>\s+"
        r"(?:a|para|hasta)\s+(?P<tomorrow>manana)$"
    ),
]

# "done with the gardening": clearly a completion, of a chore we do not know; the tool suggests the closest.
DONE_WITH_UNKNOWN = re.compile(
    r"^(?:i'?m\s+|i\s+am\s+|im\s+)?(?:all\s+)?(?:done|finished)\s+with\s+(?:the\s+)?(?P<chore>[a-z]+(?:\s+[a-z]+)?)$|"
    r"^(?:ya\s+)?(?:he\s+terminado|termine|he\s+acabado|acabe)\s+(?:de|con)\s+(?:el\s+|la\s+|los\s+|las\s+)?"
    r"(?P<tarea>[a-z]+(?:\s+[a-z]+)?)$"
)
NOT_CHORES = frozenset(
    """it this that them you him her work school today everything all eso esto todo hoy trabajo clase ti
    lunch dinner breakfast comer cenar desayunar""".split()
)

# --- adding a chore -----------------------------------------------------------------------------------------
ADD_CHORE = re.compile(
    r"^(?:(?:add|create|make|set\s+up|setup)\s+(?:a\s+)?(?:new\s+)?(?:chore|task)|new\s+(?:chore|task)|"
    r"(?:anade|agrega|crea|anadir|crear|pon|apunta|nueva)\s+(?:una\s+)?(?:nueva\s+)?tarea(?:\s+nueva)?|"
    r"tarea\s+nueva|nueva\s+tarea)\s*[:-]?\s*(?P<rest>.+)$"
)
# Separators need their spaces: "y" or "and" inside a word must not split it (and cannot backtrack).
LIST_GLUE = r"(?:\s*,\s*(?:(?:and|y)\s+)?|\s+(?:and|y|&)\s+|\s*&\s*)"
NAMES = rf"[a-z]+(?:{LIST_GLUE}[a-z]+)*"
ASSIGNEES_TAIL = re.compile(
    r"(?:\s*,\s*|\s+|^)(?:and\s+|y\s+)?(?:assign(?:ed)?\s+(?:it\s+)?to|for|para|asignala\s+a|asignalo\s+a|asignada\s+a|"
    rf"asignado\s+a|asignasela\s+a|asigna(?:la|lo)?\s+a|que\s+(?:la|lo)\s+haga)\s+(?P<names>{NAMES})$"
)
WEEKDAY = "|".join(sorted(WEEKDAY_WORDS, key=len, reverse=True))
DAY_LIST = rf"(?:{WEEKDAY})(?:{LIST_GLUE}(?:(?:on|los)\s+)?(?:{WEEKDAY}))*"
RECURRENCES: list[tuple[str, str]] = [
    (
        r"every\s+(?:other|second)\s+week|every\s+(?:two|2)\s+weeks|fortnightly|biweekly|"
        r"cada\s+(?:dos|2)\s+semanas|cada\s+(?:quince|15)\s+dias|quincenal(?:mente)?",
        "FREQ=WEEKLY;INTERVAL=2",
    ),
    (r"every\s+(?P<weeks>[3-9]|three|four)\s+weeks|cada\s+(?P<semanas>[3-9]|tres|cuatro)\s+semanas", "weeks"),
    (
        r"every\s+(?P<days>[2-9]|two|three|four|five|six)\s+days|cada\s+(?P<dias>[2-9]|dos|tres|cuatro|cinco|seis)\s+dias",
        "days",
    ),
    (
        r"every\s*day|each\s+day|daily|every\s+(?:morning|evening|night)|todos\s+los\s+dias|cada\s+dia|a\s+diario|"
        r"diariamente|diaria|diario",
        "FREQ=DAILY",
    ),
    (
        r"every\s+weekday|on\s+weekdays|weekdays|entre\s+semana|de\s+lunes\s+a\s+viernes",
        "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
    ),
    (
        r"every\s+weekend|on\s+weekends|at\s+the\s+weekend|(?:cada|todos\s+los)\s+fines?\s+de\s+semana|"
        r"los\s+fines\s+de\s+semana",
        "FREQ=WEEKLY;BYDAY=SA,SU",
    ),
    (
        r"every\s+week|each\s+week|weekly|once\s+a\s+week|cada\s+semana|todas\s+las\s+semanas|semanal(?:mente)?|"
        r"una\s+vez\s+(?:a|por)\s+(?:la\s+)?semana",
        "FREQ=WEEKLY",
    ),
    (
        r"every\s+month|each\s+month|monthly|once\s+a\s+month|cada\s+mes|todos\s+los\s+meses|mensual(?:mente)?|"
        r"una\s+vez\s+(?:al|por)\s+mes",
        "FREQ=MONTHLY",
    ),
    (rf"(?:every|each|on)\s+(?P<en_days>{DAY_LIST})|(?:cada|todos\s+los|los)\s+(?P<es_days>{DAY_LIST})", "byday"),
]
RECURRENCE_TAIL = re.compile(
    r"(?:\s*,)?\s+(?P<rec>" + "|".join(f"(?:{pattern})" for pattern, _rule in RECURRENCES) + r")$"
)
SMALL_NUMBERS = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "dos": 2,
    "tres": 3,
    "cuatro": 4,
    "cinco": 5,
    "seis": 6,
}


def recurrence_of(phrase: str) -> str | None:
    """ "every monday and thursday" → "FREQ=WEEKLY;BYDAY=MO,TH"; "cada dos semanas" → "FREQ=WEEKLY;INTERVAL=2"."""
    for pattern, rule in RECURRENCES:
        found = re.fullmatch(pattern, phrase)
        if not found:
            continue
        groups = {k: v for k, v in found.groupdict().items() if v}
        if rule == "weeks":
            count = groups.get("weeks") or groups.get("semanas") or ""
            return f"FREQ=WEEKLY;INTERVAL={SMALL_NUMBERS.get(count) or int(count)}"
        if rule == "days":
            count = groups.get("days") or groups.get("dias") or ""
            return f"FREQ=DAILY;INTERVAL={SMALL_NUMBERS.get(count) or int(count)}"
        if rule == "byday":
            days = groups.get("en_days") or groups.get("es_days") or ""
            indexes = sorted({WEEKDAY_WORDS[word] for word in re.findall(r"[a-z]+", days) if word in WEEKDAY_WORDS})
            return "FREQ=WEEKLY;BYDAY=" + ",".join(WEEKDAY_CODES[i] for i in indexes)
        return rule
    return None


def member_name(word: str) -> str:
    """The member's stored name when known; otherwise the word as said (the tool then lists the members)."""
    if simplify(word) in selectors.SELF_WORDS:
        return "me"
    found: Member | None = selectors.member_find(word)
    return found.name if found else word.strip().capitalize()


class ChoresPhrasebook:
    def match(self, text: str, language: str) -> list[Intent] | None:
        u = Utterance.of(text)
        if not u.folded:
            return None
        added = self.add(u)
        if added:
            return added
        clean = u.clean()
        if any(rule.match(clean) for rule in DUE_WEEK_RULES):
            return [Intent("chore_due", {"week": True})]
        for rule in DUE_RULES:
            found = rule.match(clean)
            if found:
                day = day_of(found.groupdict().get("day") or found.groupdict().get("day2"))
                return [Intent("chore_due", {"day": day} if day else {})]
        if any(rule.match(clean) for rule in MINE_RULES):
            return [Intent("chore_mine", {})]
        chores = selectors.chores_active()
        marked, named = mark_chores(clean, chores)
        if not named:
            return self.done_unknown(u)
        if len(named) != 1:
            return None
        chore = named[0].title
        return (
            self.done(marked, chore)
            or self.who(marked, chore)
            or self.assign(marked, chore)
            or self.skip(marked, chore)
            or self.snooze(marked, chore)
        )

    def add(self, u: Utterance) -> list[Intent] | None:
        found = ADD_CHORE.match(u.folded)
        if not found:
            return None
        rest = u.group(found, "rest")
        args: dict[str, Any] = {}
        assignees = ASSIGNEES_TAIL.search(rest.folded)
        if assignees:
            names = [n for n in re.split(LIST_GLUE, assignees.group("names")) if n]
            args["assignees"] = [member_name(name) for name in names]
            rest = rest.cut(0, assignees.start())
        recurrence = RECURRENCE_TAIL.search(rest.folded)
        if recurrence:
            rule = recurrence_of(recurrence.group("rec"))
            if rule is None:
                return None
            args["recurrence"] = rule
            rest = rest.cut(0, recurrence.start())
        title = rest.original.strip(" ,.:;-")
        if not title or len(title.split()) > 8:
            return None
        return [Intent("chore_add", {"title": title, **args})]

    def done(self, marked: str, chore: str) -> list[Intent] | None:
        if any(rule.match(marked) for rule in DONE_RULES):
            return [Intent("chore_done", {"chore": chore})]
        return None

    def done_unknown(self, u: Utterance) -> list[Intent] | None:
        found = DONE_WITH_UNKNOWN.match(u.folded)
        if not found:
            return None
        group = "chore" if found.group("chore") else "tarea"
        if found.group(group) in NOT_CHORES or found.group(group).split()[0] in NOT_CHORES:
            return None
        return [Intent("chore_done", {"chore": u.group(found, group).original})]

    def who(self, marked: str, chore: str) -> list[Intent] | None:
        for rule in WHO_RULES:
            found = rule.match(marked)
            if found:
                day = day_of(found.group("day"))
                return [Intent("chore_who", {"chore": chore, "day": day} if day else {"chore": chore})]
        return None

    def assign(self, marked: str, chore: str) -> list[Intent] | None:
        for rule in ASSIGN_RULES:
            found = rule.match(marked)
            if not found:
                continue
            groups = found.groupdict()
            # "la basura le toca a Leo" states a turn; only "… a partir de ahora" changes who does it.
            if "lead" in groups and not (groups["lead"] or groups["tail"]):
                return None
            return [Intent("chore_assign", {"chore": chore, "member": member_name(groups["who"])})]
        return None

    def skip(self, marked: str, chore: str) -> list[Intent] | None:
        if any(rule.match(marked) for rule in SKIP_RULES):
            return [Intent("chore_skip", {"chore": chore})]
        return None

    def snooze(self, marked: str, chore: str) -> list[Intent] | None:
        for rule in SNOOZE_RULES:
            found = rule.match(marked)
            if not found:
                continue
            groups = found.groupdict()
            if groups.get("tomorrow"):
                return [Intent("chore_snooze", {"chore": chore, "days": 1})]
            amount = groups["n"]
            count = 1.0 if amount in ("a", "an", "un", "una") else number_value(amount)
            if count is None or count != int(count):
                return None
            days = int(count) * (7 if groups["unit"].startswith(("week", "semana")) else 1)
            return [Intent("chore_snooze", {"chore": chore, "days": days})]
        return None


def mark_chores(clean: str, chores: list[Chore]) -> tuple[str, list[Chore]]:
    """Replace each chore named in the text with ``<c>`` (or ``<cp>`` for a past action); return the
    marked text and the distinct chores named."""
    surfaces = selectors.chore_surfaces(chores)
    if not surfaces:
        return clean, []
    pattern = re.compile(
        r"(?<![a-z0-9])(" + "|".join(re.escape(s) for s in sorted(surfaces, key=len, reverse=True)) + r")(?![a-z0-9])"
    )
    named: dict[int, Chore] = {}

    def replace(found: re.Match[str]) -> str:
        chore = surfaces[found.group(1)]
        named[chore.pk] = chore
        return "<cp>" if found.group(1) in PAST_SURFACES else "<c>"

    return pattern.sub(replace, clean), list(named.values())
