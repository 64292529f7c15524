"""Writes for shopping lists and their items: add (merging), check off, remove, clear, undo.

Merging is the database's job: one *open* line per list and normalised name is a unique constraint, so
two people adding "bananas" at the same moment end with one line whose quantity is the sum (the loser of
the insert race retries as an update under a row lock).
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from alfred.models import Member
from alfred.rules.numbers import format_quantity
from alfred.rules.text import name_key, simplify
from home_skills import selectors
from home_skills.models import Item, ItemState, ListChange, ShoppingList, Unit
from home_skills.services import Rejected

MAX_QUANTITY = Decimal(10_000)
MAX_NAME_CHARS = 1000
# Pairs that add up once converted to the smaller unit.
CONVERTIBLE = {("kg", "g"): 1000, ("l", "ml"): 1000}


@dataclass(frozen=True)
class ItemSpec:
    name: str
    quantity: Decimal | None = None
    unit: str = ""


def item_spec(*, name: str, quantity: float | int | str | Decimal | None = None, unit: str | None = None) -> ItemSpec:
    """A checked item: a name that is not empty or huge, a positive sane quantity, a known unit."""
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise Rejected("name_empty")
    if len(cleaned) > MAX_NAME_CHARS:
        raise Rejected("name_long", limit=MAX_NAME_CHARS)
    amount: Decimal | None = None
    if quantity is not None:
        try:
            amount = Decimal(str(quantity))
        except InvalidOperation:
            raise Rejected("quantity", name=cleaned, quantity=str(quantity)) from None
        shown = format_quantity(amount) if amount.is_finite() else str(quantity)
        if not amount.is_finite() or amount <= 0 or amount > MAX_QUANTITY:
            raise Rejected("quantity", name=cleaned, quantity=shown)
        amount = amount.quantize(Decimal("0.001"))
        if amount <= 0:
            raise Rejected("quantity", name=cleaned, quantity=shown)
    unit_value = (unit or "").strip().lower()
    if unit_value and unit_value not in Unit.values:
        raise Rejected("unit", unit=unit_value, units=", ".join(Unit.values))
    return ItemSpec(name=cleaned, quantity=amount, unit=unit_value)


DEFAULT_LIST_NAME = "groceries"


def shopping_list_get_or_create(*, name: str | None) -> ShoppingList:
    """The named list (created when new), or the default list (created as "groceries" on a fresh install)."""
    found = selectors.shopping_list_find(name)
    if found is not None:
        return found
    if not name or simplify(name) in selectors.DEFAULT_LIST_WORDS:
        shopping_list, _created = ShoppingList.objects.get_or_create(
            name=DEFAULT_LIST_NAME, defaults={"is_default": True}
        )
        return shopping_list
    if not simplify(name):
        raise Rejected("list_name")
    shopping_list, _created = ShoppingList.objects.get_or_create(name=" ".join(name.lower().split())[:60])
    return shopping_list


def _snapshot(item: Item) -> dict[str, Any]:
    return {
        "state": item.state,
        "quantity": str(item.quantity),
        "unit": item.unit,
        "note": item.note,
        "bought_at": item.bought_at.isoformat() if item.bought_at else None,
        "bought_by": item.bought_by_id,
    }


def _restore(item: Item, before: dict[str, Any]) -> None:
    item.state = before["state"]
    item.quantity = Decimal(before["quantity"])
    item.unit = before["unit"]
    item.note = before["note"]
    item.bought_at = datetime.fromisoformat(before["bought_at"]) if before["bought_at"] else None
    item.bought_by_id = before["bought_by"]


def _merge(item: Item, spec: ItemSpec) -> None:
    """Add ``spec`` to an open line: same unit sums; kg+g and l+ml sum in the smaller unit; a bare name
    adds one to a count and nothing to a weighed line; a different unit goes into the note."""
    amount = spec.quantity
    if spec.unit == item.unit:
        item.quantity += amount if amount is not None else Decimal(1)
        return
    for (big, small), factor in CONVERTIBLE.items():
        if {spec.unit, item.unit} == {big, small} and amount is not None:
            current = item.quantity * factor if item.unit == big else item.quantity
            added = amount * factor if spec.unit == big else amount
            item.quantity, item.unit = current + added, small
            return
    if not item.unit and item.quantity == 1 and spec.unit and amount is not None:
        item.quantity, item.unit = amount, spec.unit
        return
    if not spec.unit and amount is None:
        return
    extra = f"+{amount.normalize() if amount is not None else 1} {spec.unit}".strip()
    item.note = f"{item.note} {extra}".strip()[:200]


def _aisle_id_for(name: str) -> int | None:
    """The aisle the family last used for this name (an admin correction sticks), else the dictionary's."""
    previous = (
        Item.objects.filter(normalised_name=name_key(name), aisle__isnull=False)
        .order_by("-added_at")
        .values_list("aisle_id", flat=True)
        .first()
    )
    if previous is not None:
        return previous
    aisle = selectors.aisle_for(name)
    return aisle.pk if aisle else None


@dataclass
class AddedLine:
    item: Item
    merged: bool


def _add_one(*, shopping_list: ShoppingList, spec: ItemSpec, member: Member | None) -> tuple[AddedLine, dict[str, Any]]:
    for _attempt in range(5):
        existing = selectors.item_match(selectors.items_open(shopping_list), spec.name)
        if existing is not None:
            item = Item.objects.select_for_update().get(pk=existing.pk)
            if item.state != ItemState.OPEN:
                continue
            before = _snapshot(item)
            _merge(item, spec)
            item.save()
            return AddedLine(item=item, merged=True), {"item": item.pk, "created": False, "before": before}
        try:
            with transaction.atomic():
                item = Item.objects.create(
                    shopping_list=shopping_list,
                    name=spec.name,
                    quantity=spec.quantity if spec.quantity is not None else Decimal(1),
                    unit=spec.unit,
                    aisle_id=_aisle_id_for(spec.name),
                    added_by=member,
                )
            return AddedLine(item=item, merged=False), {"item": item.pk, "created": True, "before": None}
        except IntegrityError:
            # Someone else's insert of the same name won; the next round merges into their line.
            continue
    raise RuntimeError(f"could not add {spec.name!r} after repeated conflicts")


def grocery_items_add(*, shopping_list: ShoppingList, items: list[ItemSpec], member: Member | None) -> list[AddedLine]:
    """Add items to a list, merging with the open line of the same name (quantities summed)."""
    with transaction.atomic():
        lines, payload = [], []
        for spec in items:
            line, entry = _add_one(shopping_list=shopping_list, spec=spec, member=member)
            lines.append(line)
            payload.append(entry)
        _record_change(member, shopping_list, ListChange.Action.ADD, payload)
    return lines


def _record_change(
    member: Member | None, shopping_list: ShoppingList | None, action: str, payload: list[dict[str, Any]]
) -> None:
    if member is not None and payload:
        ListChange.objects.create(member=member, shopping_list=shopping_list, action=action, payload=payload)


def _common_list(items: list[Item]) -> ShoppingList | None:
    lists = {item.shopping_list_id for item in items}
    return items[0].shopping_list if len(lists) == 1 else None


def grocery_items_mark_bought(*, items: list[Item], member: Member | None) -> list[Item]:
    """Check items off (kept, shown as recently bought until cleared)."""
    now = timezone.now()
    with transaction.atomic():
        payload, done = [], []
        for item in Item.objects.select_for_update().filter(pk__in=[i.pk for i in items], state=ItemState.OPEN):
            payload.append({"item": item.pk, "created": False, "before": _snapshot(item)})
            item.state, item.bought_at, item.bought_by = ItemState.BOUGHT, now, member
            item.save()
            done.append(item)
        _record_change(member, _common_list(done) if done else None, ListChange.Action.BOUGHT, payload)
    return done


def grocery_items_remove(*, items: list[Item], member: Member | None) -> list[Item]:
    """Take items off the list (kept as removed rows, so undo can bring them back)."""
    with transaction.atomic():
        payload, done = [], []
        for item in Item.objects.select_for_update().filter(pk__in=[i.pk for i in items], state=ItemState.OPEN):
            payload.append({"item": item.pk, "created": False, "before": _snapshot(item)})
            item.state = ItemState.REMOVED
            item.save()
            done.append(item)
        _record_change(member, _common_list(done) if done else None, ListChange.Action.REMOVE, payload)
    return done


def grocery_bought_clear(*, shopping_list: ShoppingList, member: Member | None) -> int:
    """Archive the bought items of a list."""
    with transaction.atomic():
        items = list(Item.objects.select_for_update().filter(shopping_list=shopping_list, state=ItemState.BOUGHT))
        payload = [{"item": item.pk, "created": False, "before": _snapshot(item)} for item in items]
        Item.objects.filter(pk__in=[item.pk for item in items]).update(state=ItemState.CLEARED)
        _record_change(member, shopping_list, ListChange.Action.CLEAR, payload)
    return len(items)


def grocery_change_undo(*, member: Member) -> ListChange | None:
    """Revert the last list change this member made (and not already undone)."""
    with transaction.atomic():
        change = (
            ListChange.objects.select_for_update().filter(member=member, undone_at__isnull=True).order_by("-id").first()
        )
        if change is None:
            return None
        for entry in reversed(change.payload):
            item = Item.objects.select_for_update().filter(pk=entry["item"]).first()
            if item is None:
                continue
            if entry["created"]:
                item.state = ItemState.REMOVED
                item.save()
                continue
            _restore(item, entry["before"])
            try:
                with transaction.atomic():
                    item.save()
            except IntegrityError:
                # Someone added the same name again meanwhile: fold this line back into theirs.
                _restore_into_open(item)
        change.undone_at = timezone.now()
        change.save(update_fields=["undone_at"])
    return change


def _restore_into_open(item: Item) -> None:
    other = Item.objects.select_for_update().get(
        shopping_list=item.shopping_list_id, normalised_name=name_key(item.name), state=ItemState.OPEN
    )
    _merge(other, ItemSpec(name=item.name, quantity=item.quantity, unit=item.unit))
    other.save()
