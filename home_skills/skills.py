"""The home tools: shopping lists and chores. Thin on purpose: resolve names, call a service, say what
happened in the user's language. The docstrings are what the LLM reads to choose a tool."""

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from django.utils.dates import WEEKDAYS
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from pydantic import BaseModel, ConfigDict, Field

from alfred.models import Member
from alfred.registry import Skill, ToolContext, ToolResult, tool
from alfred.rules.days import WEEKDAY_CODES, day_date
from alfred.rules.numbers import format_quantity
from alfred.rules.text import simplify
from home_skills import selectors
from home_skills.models import Chore, Item, ItemState, ListChange, ShoppingList
from home_skills.phrasebook.chores import ChoresPhrasebook
from home_skills.phrasebook.shopping import ShoppingPhrasebook
from home_skills.services import Rejected
from home_skills.services.chores import (
    MAX_TITLE_CHARS,
    chore_assign_to,
    chore_complete,
    chore_create,
    chore_skip_occurrence,
    chore_snooze_days,
)
from home_skills.services.lists import (
    MAX_QUANTITY,
    grocery_bought_clear,
    grocery_change_undo,
    grocery_items_add,
    grocery_items_mark_bought,
    grocery_items_remove,
    item_spec,
    shopping_list_get_or_create,
)

UnitName = Literal["kg", "g", "l", "ml", "loaf", "pack", "bottle", "can", "box", "bag", "jar"]
DayName = Literal["today", "tomorrow", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


class GroceryItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="The item as the user said it, e.g. 'bananas', 'aceite de oliva'.")
    quantity: float | None = Field(
        default=None, description="How many or how much, only when said ('a dozen' = 12, 'medio kilo' = 0.5 kg)."
    )
    unit: UnitName | None = Field(default=None, description="Only when said: '2 loaves of bread' → loaf.")


# --- wording ------------------------------------------------------------------------------------------------


def rejection_text(problem: Rejected) -> str:
    params = problem.params
    if problem.code == "quantity":
        return _(
            "I can't add %(quantity)s of %(name)s: a quantity must be more than 0 and at most %(max)s. "
            "Nothing was changed."
        ) % {"quantity": params["quantity"], "name": params["name"], "max": format_quantity(MAX_QUANTITY)}
    if problem.code == "name_long":
        return _("That item name is too long (at most %(limit)s characters). Nothing was changed.") % params
    if problem.code == "name_empty":
        return _("Which item? I got an empty name. Nothing was changed.")
    if problem.code == "unit":
        return _("I don't know the unit “%(unit)s”. Units I know: %(units)s.") % params
    if problem.code == "recurrence":
        return _("I can't read the repetition “%(recurrence)s”. Try “every day”, “every Monday” or “every month”.") % {
            "recurrence": params.get("recurrence") or ""
        }
    if problem.code == "chore_exists":
        return _("There is already a chore called %(title)s.") % params
    if problem.code in ("title_empty", "title_long"):
        return _("A chore needs a short title (at most %(limit)s characters).") % {"limit": MAX_TITLE_CHARS}
    if problem.code == "snooze_days":
        return _("I can snooze a chore by 1 to %(limit)s days.") % params
    return _("I could not do that. Nothing was changed.")


def amount_text(quantity: Decimal, unit: str, language: str) -> str:
    """ "×2", "2 kg", "3 loaves"; empty for a single unit-less item."""
    number = format_quantity(quantity, language)
    if not unit:
        return "" if quantity == 1 else f"×{number}"
    if unit in ("kg", "g", "l", "ml"):
        return f"{number} {unit}"
    count = int(quantity) if quantity == int(quantity) else 2
    names = {
        "loaf": ngettext("loaf", "loaves", count),
        "pack": ngettext("pack", "packs", count),
        "bottle": ngettext("bottle", "bottles", count),
        "can": ngettext("can", "cans", count),
        "box": ngettext("box", "boxes", count),
        "bag": ngettext("bag", "bags", count),
        "jar": ngettext("jar", "jars", count),
    }
    return f"{number} {names.get(unit, unit)}"


def item_text(item: Item, language: str) -> str:
    amount = amount_text(item.quantity, item.unit, language)
    text = f"{item.name} {amount}" if amount.startswith("×") else f"{item.name} ({amount})" if amount else item.name
    return f"{text} — {item.note}" if item.note else text


def names_text(names: list[str]) -> str:
    return ", ".join(names)


def day_phrase(day: date, today: date) -> str:
    """ "today", "tomorrow", "on Saturday 14" (in the active language)."""
    if day == today:
        return _("today")
    if day == today + timedelta(days=1):
        return _("tomorrow")
    if day < today:
        return _("overdue since %(date)s") % {"date": date_format(day, "l j")}
    return _("on %(date)s") % {"date": date_format(day, "l j")}


def day_label(day: date, today: date) -> str:
    """ "today", "tomorrow", "Saturday 14": for "Next: …"."""
    if day in (today, today + timedelta(days=1)) or day < today:
        return day_phrase(day, today)
    return date_format(day, "l j")


def recurrence_text(recurrence: str) -> str:
    if not recurrence:
        return _("once")
    parts = dict(part.split("=", 1) for part in recurrence.split(";") if "=" in part)
    interval = int(parts.get("INTERVAL", "1") or 1)
    if parts.get("BYDAY"):
        days = [str(WEEKDAYS[WEEKDAY_CODES.index(code[-2:])]) for code in parts["BYDAY"].split(",")]
        return _("every %(days)s") % {"days": ", ".join(days)}
    frequency = parts.get("FREQ")
    if frequency == "DAILY":
        return ngettext("every day", "every %(n)s days", interval) % {"n": interval}
    if frequency == "WEEKLY":
        return ngettext("every week", "every %(n)s weeks", interval) % {"n": interval}
    if frequency == "MONTHLY":
        return ngettext("every month", "every %(n)s months", interval) % {"n": interval}
    if frequency == "YEARLY":
        return _("every year")
    return recurrence


def members_text() -> str:
    return names_text(selectors.member_names())


def unknown_member_text(name: str) -> str:
    return _("I don't know anyone called %(name)s. The members are: %(members)s.") % {
        "name": name,
        "members": members_text(),
    }


def unknown_chore_text(reference: str) -> str:
    suggestions = selectors.chore_suggestions(reference)
    if not suggestions:
        titles = [chore.title for chore in selectors.chores_active()]
        if not titles:
            return _("I don't know a chore called “%(chore)s”, and there are no chores yet.") % {"chore": reference}
        return _("I don't know a chore called “%(chore)s”. The chores are: %(chores)s.") % {
            "chore": reference,
            "chores": names_text(sorted(titles)),
        }
    return _("I don't know a chore called “%(chore)s”. Did you mean: %(suggestions)s?") % {
        "chore": reference,
        "suggestions": names_text(suggestions),
    }


def who_text(member: Member | None) -> str:
    return member.name if member else _("nobody yet")


# --- shopping tools -----------------------------------------------------------------------------------------


def _list_or_reply(name: str | None) -> ShoppingList | ToolResult:
    found = selectors.shopping_list_find(name)
    if found is None and (not name or simplify(name) in selectors.DEFAULT_LIST_WORDS):
        return shopping_list_get_or_create(name=None)
    if found is None:
        names = names_text([str(s) for s in ShoppingList.objects.all()])
        return ToolResult(
            text=_("There is no %(list)s list. Lists: %(lists)s.") % {"list": name, "lists": names}, ok=False
        )
    return found


@tool()
def grocery_add(ctx: ToolContext, *, items: list[GroceryItem], list: str | None = None) -> ToolResult:  # noqa: A002
    """Add items to a shopping list ("add milk", "we're out of eggs", "necesitamos pan").

    One entry per item with the name as said; quantity and unit only when the user gave them. The same item
    already on the list is merged (quantities summed), never duplicated. ``list`` is the list's name
    ("pharmacy", "bbq"); omit it for the main groceries list. A new list name creates that list."""
    if not items:
        return ToolResult(text=_("Which items? Nothing was changed."), ok=False)
    try:
        specs = [item_spec(name=i.name, quantity=i.quantity, unit=i.unit) for i in items]
        shopping_list = shopping_list_get_or_create(name=list)
    except Rejected as problem:
        return ToolResult(text=rejection_text(problem), ok=False)
    lines = grocery_items_add(shopping_list=shopping_list, items=specs, member=ctx.member)
    new = [item_text(line.item, ctx.language) for line in lines if not line.merged]
    merged = [item_text(line.item, ctx.language) for line in lines if line.merged]
    sentences = []
    if new:
        sentences.append(_("Added to %(list)s: %(items)s.") % {"list": shopping_list.name, "items": names_text(new)})
    if merged:
        sentences.append(
            _("Already on %(list)s, now: %(items)s.") % {"list": shopping_list.name, "items": names_text(merged)}
        )
    return ToolResult(
        text=" ".join(sentences),
        data={"list": shopping_list.name, "items": [line.item.name for line in lines]},
        acknowledge=True,
    )


@tool()
def grocery_show(ctx: ToolContext, *, list: str | None = None) -> ToolResult:  # noqa: A002
    """Show what is still to buy on a shopping list, grouped by aisle ("what's on the list?", "qué falta?").
    ``list`` is the list's name; omit it for the main groceries list."""
    found = _list_or_reply(list)
    if isinstance(found, ToolResult):
        return found
    items = selectors.items_open(found)
    recent = selectors.items_recently_bought(found)
    # (``list`` is the tool's argument here, so no list() calls or list[...] annotations in this body.)
    lines = [_("The %(list)s list is empty.") % {"list": found.name}] if not items else []
    if items:
        lines.append(
            ngettext("%(list)s — %(count)s item to buy:", "%(list)s — %(count)s items to buy:", len(items))
            % {"list": found.name, "count": len(items)}
        )
        for aisle, group in selectors.items_by_aisle(items):
            label = aisle.label(ctx.language) if aisle else _("Other")
            lines.append(f"{label}: {names_text([item_text(i, ctx.language) for i in group])}")
    if recent:
        names = [*dict.fromkeys(item.name for item in recent)][:5]
        lines.append(_("Recently bought (say “add …” to put one back): %(items)s") % {"items": names_text(names)})
    return ToolResult(text="\n".join(lines), data={"list": found.name, "items": [i.name for i in items]})


def _find_open(names: list[str], list_name: str | None) -> tuple[list[Item], list[str]] | ToolResult:
    """Open lines for the names: in the named list, or (none named) the default list and then any list."""
    if list_name is not None:
        found = _list_or_reply(list_name)
        if isinstance(found, ToolResult):
            return found
        pools = [selectors.items_open(found)]
    else:
        default = selectors.shopping_list_default()
        everything = Item.objects.filter(state=ItemState.OPEN).select_related("aisle")
        if default is None:
            pools = [list(everything)]
        else:
            pools = [selectors.items_open(default), list(everything.exclude(shopping_list=default))]
    matched: list[Item] = []
    missing: list[str] = []
    for name in names:
        hit = None
        for pool in pools:
            hit = selectors.item_match([i for i in pool if i not in matched], name)
            if hit is not None:
                break
        if hit is None:
            missing.append(name)
        else:
            matched.append(hit)
    return matched, missing


def _change_open_items(
    ctx: ToolContext,
    items: list[GroceryItem],
    list_name: str | None,
    change: Callable[..., list[Item]],
    done_sentence: str,
) -> ToolResult:
    """Apply ``change`` to the open items named; say what changed and what was not on the list."""
    found = _find_open([i.name for i in items], list_name)
    if isinstance(found, ToolResult):
        return found
    matched, missing = found
    done = change(items=matched, member=ctx.member)
    sentences = []
    if done:
        sentences.append(done_sentence % {"items": names_text([i.name for i in done])})
    if missing:
        sentences.append(_("Not on the list: %(items)s.") % {"items": names_text(missing)})
    return ToolResult(text=" ".join(sentences), ok=bool(done), acknowledge=not missing)


@tool()
def grocery_bought(ctx: ToolContext, *, items: list[GroceryItem], list: str | None = None) -> ToolResult:  # noqa: A002
    """Check items off as bought ("got the milk", "ya compré el pan"). They stay visible as recently bought
    until cleared. ``list`` only when the user named one; otherwise every list is searched."""
    return _change_open_items(ctx, items, list, grocery_items_mark_bought, _("Checked off: %(items)s."))


@tool(destructive=True)
def grocery_remove(ctx: ToolContext, *, items: list[GroceryItem], list: str | None = None) -> ToolResult:  # noqa: A002
    """Take items off a list without buying them ("remove the eggs", "quita el pan"). Only when the user
    clearly asks to remove; for bought items use grocery_bought. Undo brings them back."""
    return _change_open_items(ctx, items, list, grocery_items_remove, _("Removed: %(items)s."))


@tool(destructive=True)
def grocery_clear_bought(ctx: ToolContext, *, list: str | None = None) -> ToolResult:  # noqa: A002
    """Archive the items already checked off as bought ("clear the bought items", "borra lo comprado").
    ``list`` is the list's name; omit it for the main groceries list."""
    found = _list_or_reply(list)
    if isinstance(found, ToolResult):
        return found
    count = grocery_bought_clear(shopping_list=found, member=ctx.member)
    if not count:
        return ToolResult(text=_("Nothing bought to clear on %(list)s.") % {"list": found.name})
    text = ngettext(
        "Cleared %(count)s bought item from %(list)s.", "Cleared %(count)s bought items from %(list)s.", count
    ) % {"count": count, "list": found.name}
    return ToolResult(text=text, acknowledge=True)


@tool()
def grocery_undo(ctx: ToolContext) -> ToolResult:
    """Undo the last change this user made to the shopping lists (an add, removal, check-off or clear)."""
    change = grocery_change_undo(member=ctx.member)
    if change is None:
        return ToolResult(text=_("There is nothing of yours to undo."), ok=False)
    names = names_text(
        list(Item.objects.filter(pk__in=[e["item"] for e in change.payload]).values_list("name", flat=True))
    )
    actions = {
        ListChange.Action.ADD: _("Undone — off the list again: %(items)s."),
        ListChange.Action.REMOVE: _("Undone — back on the list: %(items)s."),
        ListChange.Action.BOUGHT: _("Undone — back on the list, not bought: %(items)s."),
        ListChange.Action.CLEAR: _("Undone — back among the bought items: %(items)s."),
    }
    return ToolResult(text=actions[ListChange.Action(change.action)] % {"items": names}, acknowledge=True)


# --- chore tools --------------------------------------------------------------------------------------------


def _chore_or_reply(reference: str) -> Chore | ToolResult:
    found = selectors.chore_find(reference)
    return found if found is not None else ToolResult(text=unknown_chore_text(reference), ok=False)


@tool()
def chore_add(
    ctx: ToolContext, *, title: str, recurrence: str | None = None, assignees: list[str] | None = None
) -> ToolResult:
    """Create a household chore ("add a chore: water the plants every Sunday").

    ``recurrence`` is an RRULE: "FREQ=DAILY", "FREQ=WEEKLY;BYDAY=MO,TH", "FREQ=WEEKLY;INTERVAL=2",
    "FREQ=MONTHLY"; omit for a one-off. ``assignees`` are member names (or "me"); with several, they take
    turns."""
    members: list[Member] = []
    for name in assignees or []:
        member = selectors.member_find(name, me=ctx.member)
        if member is None:
            return ToolResult(text=unknown_member_text(name), ok=False)
        members.append(member)
    today = selectors.local_today(ctx.member)
    try:
        chore = chore_create(title=title, recurrence=recurrence, assignees=members, member=ctx.member, today=today)
    except Rejected as problem:
        return ToolResult(text=rejection_text(problem), ok=False)
    text = _("New chore: %(chore)s, %(schedule)s, first %(when)s.") % {
        "chore": chore.title,
        "schedule": recurrence_text(chore.recurrence),
        "when": day_phrase(chore.next_due or today, today),
    }
    if members:
        text += " " + _("Assigned to %(who)s.") % {"who": names_text([m.name for m in members])}
    else:
        text += " " + _("Nobody is assigned yet: say “assign %(chore)s to <name>”.") % {"chore": chore.title}
    return ToolResult(text=text, data={"chore": chore.title})


@tool()
def chore_assign(ctx: ToolContext, *, chore: str, member: str) -> ToolResult:
    """Make one member responsible for a chore from now on ("assign laundry to Leo"). ``member`` is a
    member's name or "me"."""
    found = _chore_or_reply(chore)
    if isinstance(found, ToolResult):
        return found
    person = selectors.member_find(member, me=ctx.member)
    if person is None:
        return ToolResult(text=unknown_member_text(member), ok=False)
    chore_assign_to(chore=found, member=person)
    return ToolResult(text=_("From now on %(who)s does %(chore)s.") % {"who": person.name, "chore": found.title})


@tool()
def chore_done(ctx: ToolContext, *, chore: str) -> ToolResult:
    """Mark the current occurrence of a chore as done by this user ("I took out the trash", "ya fregué").
    Rotates the turn and sets the next due date."""
    found = _chore_or_reply(chore)
    if isinstance(found, ToolResult):
        return found
    today = selectors.local_today(ctx.member)
    outcome = chore_complete(chore=found, member=ctx.member, today=today)
    if outcome.already_done:
        return ToolResult(
            text=_("%(chore)s was already done today. Next: %(when)s — %(who)s.")
            % {
                "chore": found.title,
                "when": day_label(outcome.next_due or today, today),
                "who": who_text(outcome.next_assignee),
            }
        )
    if outcome.next_due is None:
        return ToolResult(
            text=_("✅ %(chore)s done, thanks %(name)s!") % {"chore": found.title, "name": ctx.member.name}
        )
    return ToolResult(
        text=_("✅ %(chore)s done, thanks %(name)s! Next: %(when)s — %(who)s.")
        % {
            "chore": found.title,
            "name": ctx.member.name,
            "when": day_label(outcome.next_due, today),
            "who": who_text(outcome.next_assignee),
        }
    )


@tool()
def chore_who(ctx: ToolContext, *, chore: str, day: DayName | None = None) -> ToolResult:
    """Say who is doing a chore ("who's doing the dishes today?"). ``day``: today, tomorrow or a weekday;
    omit for the next time it is due."""
    found = _chore_or_reply(chore)
    if isinstance(found, ToolResult):
        return found
    today = selectors.local_today(ctx.member)
    if found.next_due is None:
        return ToolResult(text=_("%(chore)s is not scheduled any more.") % {"chore": found.title})
    if day is None:
        occurrence = selectors.Occurrence(day=found.next_due, assignee=found.current_assignee)
    else:
        target = day_date(day, today=today)
        maybe = selectors.chore_on(found, target, today=today)
        if maybe is None:
            nxt = next(iter(selectors.chore_occurrences(found, until=target.replace(year=target.year + 1))), None)
            return ToolResult(
                text=_("%(chore)s is not due %(when)s. Next: %(next)s — %(who)s.")
                % {
                    "chore": found.title,
                    "when": day_phrase(target, today),
                    "next": day_label(nxt.day, today) if nxt else "—",
                    "who": who_text(nxt.assignee if nxt else None),
                }
            )
        occurrence = maybe
    if occurrence.assignee is None:
        return ToolResult(text=_("Nobody is assigned to %(chore)s yet.") % {"chore": found.title})
    return ToolResult(
        text=_("%(who)s is on %(chore)s %(when)s.")
        % {"who": occurrence.assignee.name, "chore": found.title, "when": day_phrase(occurrence.day, today)}
    )


@tool()
def chore_due(ctx: ToolContext, *, day: DayName | None = None) -> ToolResult:
    """List the chores due on a day and who does each ("what chores are due today?"). ``day``: today
    (the default, overdue chores included), tomorrow or a weekday."""
    today = selectors.local_today(ctx.member)
    target = day_date(day or "today", today=today)
    due = selectors.chores_due_on(target, today=today)
    when = day_phrase(target, today)
    if not due:
        return ToolResult(text=_("No chores due %(when)s. 🎉") % {"when": when})
    lines = [_("Chores due %(when)s:") % {"when": when}]
    for chore, occurrence in due:
        late = f" ({day_phrase(occurrence.day, today)})" if occurrence.day < today else ""
        lines.append(f"• {chore.title} — {who_text(occurrence.assignee)}{late}")
    return ToolResult(text="\n".join(lines))


@tool()
def chore_mine(ctx: ToolContext) -> ToolResult:
    """List the chores this user is on duty for, with when each is due ("my chores", "qué me toca")."""
    today = selectors.local_today(ctx.member)
    chores = selectors.chores_of(ctx.member)
    if not chores:
        return ToolResult(text=_("You have no chores assigned right now."))
    lines = [_("Your chores:")]
    lines += [f"• {c.title} — {day_label(c.next_due, today)}" for c in chores if c.next_due is not None]
    return ToolResult(text="\n".join(lines))


@tool()
def chore_skip(ctx: ToolContext, *, chore: str) -> ToolResult:
    """Skip the current occurrence of a chore ("skip dishes today"): nobody is credited and the turn stays
    with the same person."""
    found = _chore_or_reply(chore)
    if isinstance(found, ToolResult):
        return found
    today = selectors.local_today(ctx.member)
    updated = chore_skip_occurrence(chore=found, member=ctx.member, today=today)
    if updated.next_due is None:
        return ToolResult(text=_("Skipped %(chore)s.") % {"chore": updated.title})
    return ToolResult(
        text=_("Skipped %(chore)s. Next: %(when)s — %(who)s.")
        % {
            "chore": updated.title,
            "when": day_label(updated.next_due, today),
            "who": who_text(updated.current_assignee),
        }
    )


@tool()
def chore_snooze(ctx: ToolContext, *, chore: str, days: int) -> ToolResult:
    """Postpone a chore's due date by a number of days ("snooze trash 1 day", "aplaza la basura a mañana")."""
    found = _chore_or_reply(chore)
    if isinstance(found, ToolResult):
        return found
    today = selectors.local_today(ctx.member)
    try:
        updated = chore_snooze_days(chore=found, days=days, today=today)
    except Rejected as problem:
        return ToolResult(text=rejection_text(problem), ok=False)
    return ToolResult(
        text=ngettext(
            "Snoozed %(chore)s by %(days)s day: now due %(when)s.",
            "Snoozed %(chore)s by %(days)s days: now due %(when)s.",
            days,
        )
        % {"chore": updated.title, "days": days, "when": day_phrase(updated.next_due or today, today)}
    )


def shopping_summary() -> str:
    return _("Shopping lists: “add milk”, “what's on the list?”, “got the milk”, “undo”.")


def chores_summary() -> str:
    return _("Chores: “who's doing the dishes?”, “my chores”, “I took out the trash”, “skip dishes today”.")


shopping = Skill(
    name="shopping",
    instances=frozenset({"home"}),
    tools=[grocery_add, grocery_remove, grocery_bought, grocery_show, grocery_clear_bought, grocery_undo],
    phrasebook=ShoppingPhrasebook(),
    summary=shopping_summary,
)

chores = Skill(
    name="chores",
    instances=frozenset({"home"}),
    tools=[chore_add, chore_assign, chore_done, chore_who, chore_due, chore_mine, chore_skip, chore_snooze],
    phrasebook=ChoresPhrasebook(),
    summary=chores_summary,
)
