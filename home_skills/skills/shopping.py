"""The shopping-list tools: add, show, check off, remove, clear bought, undo."""

from collections.abc import Callable
from typing import Literal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from pydantic import BaseModel, ConfigDict, Field

from alfred.registry import Skill, ToolContext, ToolResult, tool
from alfred.rules.text import simplify
from home_skills import selectors
from home_skills.models import Item, ItemState, ListChange, ShoppingList
from home_skills.phrasebook.shopping import ShoppingPhrasebook
from home_skills.services import Rejected
from home_skills.services.lists import (
    grocery_bought_clear,
    grocery_change_undo,
    grocery_items_add,
    grocery_items_mark_bought,
    grocery_items_remove,
    item_spec,
    shopping_list_get_or_create,
)
from home_skills.skills.wording import item_text, names_text, rejection_text

UnitName = Literal["kg", "g", "l", "ml", "loaf", "pack", "bottle", "can", "box", "bag", "jar"]


class GroceryItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="The item as the user said it, e.g. 'bananas', 'aceite de oliva'.")
    quantity: float | None = Field(
        default=None, description="How many or how much, only when said ('a dozen' = 12, 'medio kilo' = 0.5 kg)."
    )
    unit: UnitName | None = Field(default=None, description="Only when said: '2 loaves of bread' → loaf.")


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
    if items and not selectors.shopping_list_is_for_shopping(found, items):
        # A to-do or packing list: its lines as they are, no aisles, nothing "to buy".
        lines.append(
            ngettext("%(list)s — %(count)s item:", "%(list)s — %(count)s items:", len(items))
            % {"list": found.name, "count": len(items)}
        )
        lines += [f"• {item_text(i, ctx.language)}" for i in items]
    elif items:
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


@tool()
def grocery_check(ctx: ToolContext, *, items: list[GroceryItem], list: str | None = None) -> ToolResult:  # noqa: A002
    """Say whether items are on a list, changing nothing ("is butter on the list?", "did I already add
    rice?", "do we need bread?", "¿está la leche en la lista?"). ``list`` only when the user named one;
    otherwise every list is searched. The same product in the other language counts ("milk" finds "leche")."""
    found = _find_open([i.name for i in items], list)
    if isinstance(found, ToolResult):
        return found
    matched, missing = found
    sentences = []
    if matched:
        on = [f"{item_text(i, ctx.language)} ({i.shopping_list.name})" for i in matched]
        sentences.append(_("Yes, on the list: %(items)s.") % {"items": names_text(on)})
    if missing:
        sentences.append(_("Not on the list: %(items)s.") % {"items": names_text(missing)})
    return ToolResult(text=" ".join(sentences), data={"on": [i.name for i in matched], "missing": missing})


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


def shopping_summary() -> str:
    return _("Shopping lists: “add milk”, “what's on the list?”, “got the milk”, “undo”.")


skill = Skill(
    name="shopping",
    instances=frozenset({"home"}),
    tools=[
        grocery_add,
        grocery_remove,
        grocery_bought,
        grocery_show,
        grocery_check,
        grocery_clear_bought,
        grocery_undo,
    ],
    phrasebook=ShoppingPhrasebook(),
    summary=shopping_summary,
)
