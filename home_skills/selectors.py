"""Reads: lists, items, aisles, members and chores, and the schedule arithmetic that does not write."""

import difflib
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from dateutil.rrule import rrule, rrulestr
from django.conf import settings
from django.db.models import Count, Max
from django.utils import timezone

from alfred.members import member_reach
from alfred.models import Member
from alfred.rules.text import name_key, simplify
from home_skills.aisles import synonym_keys
from home_skills.models import (
    Aisle,
    AisleKeyword,
    Chore,
    ChoreCompletion,
    ChoreReminder,
    Item,
    ItemState,
    ShoppingList,
)
from home_skills.vocabulary import CHORE_SYNONYMS

# Words that name the default list in any message ("the shopping list", "la lista de la compra").
DEFAULT_LIST_WORDS = frozenset({"shopping", "grocery", "groceries", "compra", "la compra", "compras", "super"})
RECENTLY_BOUGHT_DAYS = 14
# Typos merge with an existing line only when very close and long enough not to confuse pears and peas.
FUZZY_CUTOFF = 0.88
FUZZY_MIN_LENGTH = 6


# --- time ---------------------------------------------------------------------------------------------


def member_zone(member: Member | None) -> zoneinfo.ZoneInfo:
    name = (member.timezone if member else "") or settings.ALFRED_DEFAULT_TIMEZONE
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.ALFRED_DEFAULT_TIMEZONE)


def local_today(member: Member | None, *, now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(member_zone(member)).date()


# --- lists and items ----------------------------------------------------------------------------------


def shopping_list_default() -> ShoppingList | None:
    """The list for messages that name none: the one marked default, else the oldest; None before any."""
    return ShoppingList.objects.filter(is_default=True).first() or ShoppingList.objects.order_by("id").first()


def shopping_list_find(name: str | None) -> ShoppingList | None:
    """The list a message names: by name or alias, case and accents ignored; None when unknown (or, for
    the default list, when there are no lists yet)."""
    if not name or simplify(name) in DEFAULT_LIST_WORDS:
        return shopping_list_default()
    wanted = list_key(name)
    for candidate in ShoppingList.objects.all():
        if wanted == list_key(candidate.name) or wanted in {list_key(a) for a in candidate.alias_list()}:
            return candidate
    return None


def list_key(name: str) -> str:
    """What two list names are compared on: "to do", "to-do" and "todo" are one list."""
    return simplify(name).replace(" ", "")


def shopping_list_canonical_name(name: str) -> str | None:
    """For the rules: the stored name of a known list, None for the default list, the name as said otherwise."""
    wanted = simplify(name)
    if not wanted or wanted in DEFAULT_LIST_WORDS:
        return None
    found = shopping_list_find(name)
    if found is None:
        return wanted
    return None if found.is_default else found.name


def aisle_for(name: str) -> Aisle | None:
    """The aisle whose keyword best fits the item: the whole name, else the longest phrase inside it,
    else the head word (the first one in "zumo de naranja", the last one in "orange juice")."""
    key = name_key(name)
    if not key:
        return None
    words = key.split()
    phrases = {" ".join(words[i:j]) for i in range(len(words)) for j in range(i + 1, len(words) + 1)}
    keywords = {k.keyword: k.aisle for k in AisleKeyword.objects.filter(keyword__in=phrases).select_related("aisle")}
    if not keywords:
        return None
    if key in keywords:
        return keywords[key]
    longest = max(len(k.split()) for k in keywords)
    candidates = [k for k in keywords if len(k.split()) == longest]
    if len(candidates) == 1:
        return keywords[candidates[0]]
    spanish_order = " de " in f" {key} " or " para " in f" {key} "
    head = words[0] if spanish_order else words[-1]
    return keywords.get(head, keywords[candidates[0]])


# Words in a list's name that say it is not for shopping: its lines are shown as they are.
NOT_SHOPPING_LIST_WORDS = frozenset(
    """todo todos tasks task chores jobs errands packing pack trip holiday holidays vacation ideas
    tareas tarea pendientes deberes recados maleta equipaje viaje vacaciones ideas""".split()
)


# Words in a list's name that say its lines are tasks ("call the plumber"), not things: the rules check them
# as tasks, which keep their verbs and prepositions.
TASK_LIST_WORDS = frozenset("""todo todos tasks task errands jobs tareas tarea pendientes recados deberes""".split())
# A list named without the word "list" ("add sunscreen to packing", "quita pilas de tareas") is taken as one
# only when it is a list we have, the default list's words, or one of these words that name a kind of list;
# never any word, so "salt to the soup" creates no list called "soup".
LIST_KIND_WORDS = frozenset({"packing", "to do", "todo", "tasks", "errands", "tareas", "pendientes", "recados"})


def shopping_list_holds_tasks(name: str | None) -> bool:
    """For the rules: the list so named (a name as said, or a stored one) is a to-do list."""
    words = simplify(name or "")
    return bool(set(words.split()) & TASK_LIST_WORDS) or " to do " in f" {words} "


def shopping_list_is_for_shopping(shopping_list: ShoppingList, items: list[Item]) -> bool:
    """The default list, and any list whose name is not a to-do or packing word and whose lines the aisle
    dictionary knows at least in part; a to-do list is shown without aisles or "to buy"."""
    if shopping_list.is_default:
        return True
    name = simplify(shopping_list.name)
    if set(name.split()) & NOT_SHOPPING_LIST_WORDS or " to do " in f" {name} ":
        return False
    return any(item.aisle_id for item in items)


def item_known(name: str) -> bool:
    """For the rules: the name is a product the aisle dictionary knows, or an open line of some list, so an
    ambiguous verb ("pon", "put", "quita") is about the list and not the table, the kettle or the music."""
    key = name_key(name)
    return bool(key) and (
        aisle_for(name) is not None or Item.objects.filter(state=ItemState.OPEN, normalised_name=key).exists()
    )


def items_open_named(keys: set[str]) -> int:
    """For the rules: how many of these normalised names are open lines of some list."""
    return len(
        set(
            Item.objects.filter(state=ItemState.OPEN, normalised_name__in=keys).values_list(
                "normalised_name", flat=True
            )
        )
    )


def items_open(shopping_list: ShoppingList) -> list[Item]:
    return list(
        Item.objects.filter(shopping_list=shopping_list, state=ItemState.OPEN).select_related("aisle", "added_by")
    )


def items_recently_bought(shopping_list: ShoppingList, *, now: datetime | None = None) -> list[Item]:
    since = (now or timezone.now()) - timedelta(days=RECENTLY_BOUGHT_DAYS)
    return list(
        Item.objects.filter(
            shopping_list=shopping_list, state__in=[ItemState.BOUGHT, ItemState.CLEARED], bought_at__gte=since
        ).order_by("-bought_at")[:10]
    )


def items_by_aisle(items: list[Item]) -> list[tuple[Aisle | None, list[Item]]]:
    """Items grouped by aisle in aisle order; items without an aisle come last."""
    groups: dict[int | None, list[Item]] = {}
    aisles: dict[int | None, Aisle | None] = {}
    for item in items:
        groups.setdefault(item.aisle_id, []).append(item)
        aisles[item.aisle_id] = item.aisle

    def order(aisle_id: int | None) -> tuple[int, str]:
        aisle = aisles[aisle_id]
        return (aisle.position, aisle.name_en) if aisle else (10_000, "")

    return [(aisles[aisle_id], groups[aisle_id]) for aisle_id in sorted(groups, key=order)]


def item_match(items: list[Item], name: str) -> Item | None:
    """The line a name refers to: same key, else the same product in the other language ("milk" for
    "leche"), else one clear typo away."""
    key = name_key(name)
    for item in items:
        if item.normalised_name == key:
            return item
    same = synonym_keys(key)
    for item in items:
        if item.normalised_name in same:
            return item
    if len(key) < FUZZY_MIN_LENGTH:
        return None
    by_key = {item.normalised_name: item for item in items if len(item.normalised_name) >= FUZZY_MIN_LENGTH}
    close = difflib.get_close_matches(key, list(by_key), n=2, cutoff=FUZZY_CUTOFF)
    return by_key[close[0]] if len(close) == 1 else None


# --- members ------------------------------------------------------------------------------------------

SELF_WORDS = frozenset({"me", "myself", "i", "yo", "mi", "mí"})


def member_find(name: str, *, me: Member | None = None) -> Member | None:
    wanted = simplify(name)
    if me is not None and wanted in SELF_WORDS:
        return me
    for member in Member.objects.filter(is_active=True):
        if simplify(member.name) == wanted:
            return member
    return None


def member_names() -> list[str]:
    return list(Member.objects.filter(is_active=True).order_by("name").values_list("name", flat=True))


# --- chores: finding them by name ---------------------------------------------------------------------


def chore_surfaces(chores: list[Chore]) -> dict[str, Chore]:
    """Every way to name each chore (title, aliases and their synonym group) → the chore. A synonym two
    chores could claim is dropped; a chore's own title or alias always wins over a synonym."""
    own: dict[str, Chore] = {}
    for chore in chores:
        for name in chore.names():
            own.setdefault(name, chore)
    shared: dict[str, set[int]] = {}
    by_id = {chore.pk: chore for chore in chores}
    for chore in chores:
        names = set(chore.names())
        for group in CHORE_SYNONYMS:
            if names & group:
                for surface in group:
                    shared.setdefault(surface, set()).add(chore.pk)
    surfaces = {surface: by_id[ids.pop()] for surface, ids in shared.items() if len(ids) == 1}
    surfaces.update(own)
    return surfaces


def chores_active() -> list[Chore]:
    return list(Chore.objects.filter(is_active=True).prefetch_related("assignments__member"))


def chore_find(reference: str, *, chores: list[Chore] | None = None) -> Chore | None:
    """A chore by title, alias or synonym, case, accents and plurals ignored ("the bins" → trash)."""
    chores = chores_active() if chores is None else chores
    wanted = simplify(reference)
    for article in ("the ", "el ", "la ", "los ", "las ", "lo de la ", "lo del ", "lo de "):
        if wanted.startswith(article):
            wanted = wanted[len(article) :]
    surfaces = chore_surfaces(chores)
    if wanted in surfaces:
        return surfaces[wanted]
    keyed = {name_key(surface): chore for surface, chore in surfaces.items()}
    if name_key(wanted) in keyed:
        return keyed[name_key(wanted)]
    # A longer phrase that contains exactly one chore's name ("the living room vacuuming").
    found = {chore.pk: chore for surface, chore in surfaces.items() if f" {surface} " in f" {wanted} "}
    return next(iter(found.values())) if len(found) == 1 else None


SUGGESTION_CUTOFF = 0.5


def chore_suggestions(reference: str, *, limit: int = 3) -> list[str]:
    """The chores whose title or alias is closest to ``reference`` (best first); empty when none is close."""
    wanted = simplify(reference)
    scored: list[tuple[float, str]] = []
    for chore in chores_active():
        best = max(difflib.SequenceMatcher(None, wanted, name).ratio() for name in chore.names() or [""])
        if best >= SUGGESTION_CUTOFF:
            scored.append((best, chore.title))
    scored.sort(key=lambda pair: (-pair[0], pair[1]))
    return [title for _score, title in scored[:limit]]


# --- chores: the schedule -----------------------------------------------------------------------------


def chore_rule(chore: Chore) -> rrule | None:
    if not chore.recurrence:
        return None
    rule = rrulestr(chore.recurrence, dtstart=datetime.combine(chore.anchor, time()))
    return rule if isinstance(rule, rrule) else None


def occurrence_after(chore: Chore, day: date) -> date | None:
    """The first occurrence of the chore's schedule strictly after ``day``."""
    rule = chore_rule(chore)
    if rule is None:
        return None
    found = rule.after(datetime.combine(day, time()), inc=False)
    return found.date() if found else None


def assignees_in_order(chore: Chore) -> list[Member]:
    return [a.member for a in chore.assignments.all() if a.member.is_active]


def completion_counts(chore: Chore) -> dict[int, tuple[int, datetime | None]]:
    rows = (
        ChoreCompletion.objects.filter(chore=chore, kind=ChoreCompletion.Kind.DONE, member__isnull=False)
        .values("member")
        .annotate(done=Count("id"), last=Max("completed_at"))
    )
    return {row["member"]: (row["done"], row["last"]) for row in rows}


def next_in_turn(
    chore: Chore, *, after: Member | None, counts: dict[int, tuple[int, datetime | None]] | None = None
) -> Member | None:
    """Who is on duty for the next occurrence, given who had this one."""
    members = assignees_in_order(chore)
    if not members:
        return None
    if chore.strategy == Chore.Strategy.ROUND_ROBIN:
        ids = [m.pk for m in members]
        index = ids.index(after.pk) if after is not None and after.pk in ids else -1
        return members[(index + 1) % len(members)]
    if chore.strategy == Chore.Strategy.FEWEST:
        counts = completion_counts(chore) if counts is None else counts
        epoch = datetime.min.replace(tzinfo=zoneinfo.ZoneInfo("UTC"))

        def load(position_member: tuple[int, Member]) -> tuple[int, datetime, int]:
            position, member = position_member
            done, last = counts.get(member.pk, (0, None))
            return (done, last or epoch, position)

        return min(enumerate(members), key=load)[1]
    return members[0]


@dataclass(frozen=True)
class Occurrence:
    day: date
    assignee: Member | None


def chore_occurrences(chore: Chore, *, until: date, limit: int = 400) -> Iterator[Occurrence]:
    """The coming occurrences from ``next_due`` up to ``until``, with who will be on duty for each
    (the rotation played forward as if each one were done by its assignee)."""
    if chore.next_due is None:
        return
    day: date | None = chore.next_due
    assignee = chore.current_assignee
    counts = dict(completion_counts(chore)) if chore.strategy == Chore.Strategy.FEWEST else None
    for _ in range(limit):
        if day is None or day > until:
            return
        yield Occurrence(day=day, assignee=assignee)
        if counts is not None and assignee is not None:
            done, _last = counts.get(assignee.pk, (0, None))
            counts[assignee.pk] = (done + 1, timezone.now())
        assignee = next_in_turn(chore, after=assignee, counts=counts)
        day = occurrence_after(chore, day)


def chore_on(chore: Chore, day: date, *, today: date) -> Occurrence | None:
    """The occurrence on ``day`` (an overdue chore counts as due today), or None when not due that day."""
    if chore.next_due is None:
        return None
    if day == today and chore.next_due < today:
        return Occurrence(day=chore.next_due, assignee=chore.current_assignee)
    for occurrence in chore_occurrences(chore, until=day):
        if occurrence.day == day:
            return occurrence
    return None


def chores_due_on(day: date, *, today: date) -> list[tuple[Chore, Occurrence]]:
    due = []
    for chore in chores_active():
        occurrence = chore_on(chore, day, today=today)
        if occurrence is not None:
            due.append((chore, occurrence))
    return sorted(due, key=lambda pair: (pair[1].day, pair[0].title))


def chores_of(member: Member) -> list[Chore]:
    return list(
        Chore.objects.filter(is_active=True, current_assignee=member, next_due__isnull=False).order_by(
            "next_due", "title"
        )
    )


def chores_due_for(member: Member, *, day: date) -> list[Chore]:
    """The member's chores due on ``day`` or overdue (what the morning reminder lists)."""
    return list(
        Chore.objects.filter(is_active=True, current_assignee=member, next_due__lte=day).order_by("next_due", "title")
    )


# --- morning reminders ---------------------------------------------------------------------------------

REMINDER_HOUR = 8
# A worker that was down at 08:00 still sends the morning reminder until this hour, never later.
REMINDER_LATEST_HOUR = 12


def reminders_pending(*, now: datetime | None = None) -> list[tuple[int, date]]:
    """(member id, local date) for members whose local morning has come and who have no reminder yet."""
    now = now or timezone.now()
    pending = []
    for member in Member.objects.filter(is_active=True):
        if member_reach(member) is None:
            continue
        local = now.astimezone(member_zone(member))
        if not REMINDER_HOUR <= local.hour < REMINDER_LATEST_HOUR:
            continue
        if ChoreReminder.objects.filter(member=member, local_date=local.date()).exists():
            continue
        if chores_due_for(member, day=local.date()):
            pending.append((member.pk, local.date()))
    return pending
