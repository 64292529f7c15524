"""Lists and items: merging, check-off, clear, undo, aisles — through the tools, on Postgres."""

from decimal import Decimal

import pytest

from home_skills.models import Aisle, Item, ItemState, ShoppingList
from home_skills.services import Rejected
from home_skills.services.lists import ItemSpec, grocery_change_undo, grocery_items_add, item_spec
from tests.home_skills.conftest import tool_call

pytestmark = pytest.mark.home


def open_items(list_name: str = "groceries") -> list[Item]:
    return list(Item.objects.filter(shopping_list__name=list_name, state=ItemState.OPEN).order_by("id"))


@pytest.mark.parametrize(
    ("first", "second"),
    [("bananas", "banana"), ("huevos", "huevo"), ("Milk", "milk"), ("plátanos", "platano"), ("tomatoes", "Tomato")],
)
def test_the_same_item_written_differently_is_one_line_with_the_quantities_summed(family, first, second):
    tool_call(family["Ana"], "grocery_add", items=[{"name": first}])
    result = tool_call(family["Leo"], "grocery_add", items=[{"name": second, "quantity": 2}])

    (item,) = open_items()
    assert item.name == first
    assert item.quantity == 3
    assert result.ok and result.acknowledge
    assert "Already on groceries" in result.text


def test_names_that_only_look_alike_stay_separate(family):
    tool_call(family["Ana"], "grocery_add", items=[{"name": "pears"}, {"name": "peas"}, {"name": "oat milk"}])
    tool_call(family["Ana"], "grocery_add", items=[{"name": "milk"}])

    assert [i.name for i in open_items()] == ["pears", "peas", "oat milk", "milk"]


def test_a_clear_typo_merges_into_the_line_already_there(family):
    tool_call(family["Ana"], "grocery_add", items=[{"name": "bananas"}])
    tool_call(family["Leo"], "grocery_add", items=[{"name": "bannanas"}])

    (item,) = open_items()
    assert (item.name, item.quantity) == ("bananas", 2)


def test_units_merge_sensibly(family):
    ana = family["Ana"]
    tool_call(ana, "grocery_add", items=[{"name": "potatoes", "quantity": 1, "unit": "kg"}])
    tool_call(ana, "grocery_add", items=[{"name": "potatoes", "quantity": 500, "unit": "g"}])
    tool_call(ana, "grocery_add", items=[{"name": "bread"}])
    tool_call(ana, "grocery_add", items=[{"name": "bread", "quantity": 2, "unit": "loaf"}])

    potatoes, bread = open_items()
    assert (potatoes.quantity, potatoes.unit) == (Decimal(1500), "g")
    assert (bread.quantity, bread.unit) == (Decimal(2), "loaf")


def test_the_same_name_on_another_list_is_another_line(family):
    tool_call(family["Ana"], "grocery_add", items=[{"name": "shampoo"}])
    tool_call(family["Ana"], "grocery_add", items=[{"name": "shampoo"}], list="pharmacy")
    tool_call(family["Ana"], "grocery_add", items=[{"name": "charcoal"}], list="bbq")

    assert [i.name for i in open_items()] == ["shampoo"]
    assert [i.name for i in open_items("pharmacy")] == ["shampoo"]
    assert ShoppingList.objects.get(name="bbq").items.count() == 1


def test_checking_off_keeps_the_item_as_recently_bought_and_clearing_archives_it(family):
    ana, leo = family["Ana"], family["Leo"]
    tool_call(ana, "grocery_add", items=[{"name": "milk"}, {"name": "eggs"}])
    bought = tool_call(leo, "grocery_bought", items=[{"name": "the milk"}])
    shown = tool_call(ana, "grocery_show")
    cleared = tool_call(ana, "grocery_clear_bought")

    milk = Item.objects.get(name="milk")
    assert bought.text == "Checked off: milk."
    assert "Recently bought" in shown.text and "milk" in shown.text.split("Recently bought")[1]
    assert cleared.text == "Cleared 1 bought item from groceries."
    assert milk.state == ItemState.CLEARED and milk.bought_by == leo and milk.bought_at is not None
    assert [i.name for i in open_items()] == ["eggs"]


def test_checking_off_finds_the_item_on_whichever_list_it_is(family):
    tool_call(family["Ana"], "grocery_add", items=[{"name": "sunscreen"}], list="pharmacy")

    result = tool_call(family["Leo"], "grocery_bought", items=[{"name": "sunscreen"}, {"name": "caviar"}])

    assert result.text == "Checked off: sunscreen. Not on the list: caviar."
    assert Item.objects.get(name="sunscreen").state == ItemState.BOUGHT


def test_re_adding_a_bought_item_puts_a_new_line_on_the_list_in_the_same_aisle(family):
    ana = family["Ana"]
    tool_call(ana, "grocery_add", items=[{"name": "kombucha"}])
    first = Item.objects.get(name="kombucha")
    first.aisle = Aisle.objects.get(name_en="Drinks")  # corrected by hand in the admin
    first.save()
    tool_call(ana, "grocery_bought", items=[{"name": "kombucha"}])
    tool_call(ana, "grocery_add", items=[{"name": "Kombucha"}])

    (again,) = open_items()
    assert again.pk != first.pk and again.aisle.name_en == "Drinks"


def test_undo_reverts_only_the_senders_last_change(family):
    ana, leo = family["Ana"], family["Leo"]
    tool_call(ana, "grocery_add", items=[{"name": "milk"}])
    tool_call(leo, "grocery_add", items=[{"name": "bread"}])
    tool_call(ana, "grocery_add", items=[{"name": "milk"}, {"name": "eggs"}])

    undone = tool_call(ana, "grocery_undo")

    assert [(i.name, i.quantity) for i in open_items()] == [("milk", 1), ("bread", 1)]
    assert undone.ok and "milk" in undone.text and "eggs" in undone.text
    tool_call(ana, "grocery_undo")
    assert [i.name for i in open_items()] == ["bread"]
    assert not tool_call(ana, "grocery_undo").ok


def test_undo_brings_back_removed_bought_and_cleared_items(family):
    ana = family["Ana"]
    tool_call(ana, "grocery_add", items=[{"name": "milk"}, {"name": "eggs"}, {"name": "rice"}])
    tool_call(ana, "grocery_remove", items=[{"name": "eggs"}])
    tool_call(ana, "grocery_bought", items=[{"name": "rice"}])
    tool_call(ana, "grocery_clear_bought")

    tool_call(ana, "grocery_undo")
    assert Item.objects.get(name="rice").state == ItemState.BOUGHT
    tool_call(ana, "grocery_undo")
    assert Item.objects.get(name="rice").state == ItemState.OPEN
    tool_call(ana, "grocery_undo")
    assert [i.name for i in open_items()] == ["milk", "eggs", "rice"]


def test_undoing_a_removal_after_someone_re_added_the_item_merges_instead_of_failing(family):
    ana, leo = family["Ana"], family["Leo"]
    tool_call(ana, "grocery_add", items=[{"name": "milk", "quantity": 2}])
    tool_call(ana, "grocery_remove", items=[{"name": "milk"}])
    tool_call(leo, "grocery_add", items=[{"name": "milk"}])

    tool_call(ana, "grocery_undo")

    (milk,) = open_items()
    assert milk.quantity == 3


def test_the_list_is_shown_grouped_by_aisle_in_shop_order(family):
    tool_call(
        family["Ana"],
        "grocery_add",
        items=[
            {"name": "toilet paper"},
            {"name": "milk"},
            {"name": "mystery gadget"},
            {"name": "bananas"},
            {"name": "pan", "quantity": 2, "unit": "loaf"},
            {"name": "zumo de naranja"},
        ],
    )

    english = tool_call(family["Ana"], "grocery_show").text.splitlines()
    spanish = tool_call(family["Ana"], "grocery_show", language="es").text.splitlines()

    assert english == [
        "groceries — 6 items to buy:",
        "🥦 Fruit & veg: bananas",
        "🥛 Dairy & eggs: milk",
        "🍞 Bakery: pan (2 loaves)",
        "🧃 Drinks: zumo de naranja",
        "🧽 Household: toilet paper",
        "Other: mystery gadget",
    ]
    assert spanish[0] == "groceries — 6 cosas por comprar:" and spanish[3] == "🍞 Panadería: pan (2 barras)"


def test_showing_a_list_that_does_not_exist_names_the_lists_there_are(family):
    result = tool_call(family["Ana"], "grocery_show", list="garage")

    assert not result.ok
    assert result.text == "There is no garage list. Lists: groceries, pharmacy."


@pytest.mark.parametrize(
    ("spec", "code"),
    [
        ({"name": "milk", "quantity": 0}, "quantity"),
        ({"name": "milk", "quantity": -1}, "quantity"),
        ({"name": "milk", "quantity": 10**9}, "quantity"),
        ({"name": "milk", "quantity": 0.0001}, "quantity"),
        ({"name": "   "}, "name_empty"),
        ({"name": "x" * 1001}, "name_long"),
        ({"name": "milk", "unit": "furlong"}, "unit"),
    ],
)
def test_bad_items_are_refused_before_anything_is_written(db, spec, code):
    with pytest.raises(Rejected) as refused:
        item_spec(**spec)

    assert refused.value.code == code


def test_the_database_itself_refuses_a_zero_quantity(family):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Item.objects.create(shopping_list=ShoppingList.objects.get(name="groceries"), name="milk", quantity=0)


def test_adding_several_items_records_one_change_for_undo(family):
    grocery_items_add(
        shopping_list=ShoppingList.objects.get(name="groceries"),
        items=[ItemSpec(name="a1"), ItemSpec(name="a2")],
        member=family["Ana"],
    )

    assert family["Ana"] and grocery_change_undo(member=family["Ana"]) is not None
    assert not open_items()


def test_on_a_fresh_install_the_default_list_appears_with_the_first_item(member):
    assert not ShoppingList.objects.exists()
    empty = tool_call(member, "grocery_show")
    added = tool_call(member, "grocery_add", items=[{"name": "milk"}])

    assert empty.text == "The groceries list is empty."
    assert added.text == "Added to groceries: milk."
    assert ShoppingList.objects.get().is_default


def test_an_item_is_found_across_english_and_spanish(family):
    tool_call(family["Ana"], "grocery_add", items=[{"name": "leche"}, {"name": "bread"}], language="es")

    result = tool_call(family["Leo"], "grocery_bought", items=[{"name": "milk"}])

    assert result.ok and "Checked off: leche." in result.text
    assert [i.name for i in open_items()] == ["bread"]
    assert "Not on the list" in tool_call(family["Leo"], "grocery_bought", items=[{"name": "cheese"}]).text


def test_checking_whether_an_item_is_on_a_list_changes_nothing(family):
    tool_call(family["Ana"], "grocery_add", items=[{"name": "butter"}])
    before = list(Item.objects.values_list("id", "state", "quantity"))

    found = tool_call(family["Leo"], "grocery_check", items=[{"name": "mantequilla"}, {"name": "rice"}])

    assert found.text == "Yes, on the list: butter (groceries). Not on the list: rice."
    assert found.data == {"on": ["butter"], "missing": ["rice"]}
    assert list(Item.objects.values_list("id", "state", "quantity")) == before


def test_a_to_do_list_is_shown_without_aisles_or_things_to_buy(family):
    tool_call(family["Ana"], "grocery_add", items=[{"name": "call the plumber"}, {"name": "milk"}], list="to do")
    tool_call(family["Ana"], "grocery_add", items=[{"name": "eggs"}])

    shown = tool_call(family["Ana"], "grocery_show", list="to do").text
    groceries = tool_call(family["Ana"], "grocery_show").text

    assert shown.splitlines() == ["to do — 2 items:", "• call the plumber", "• milk"]
    assert groceries.splitlines()[:2] == ["groceries — 1 item to buy:", "🥛 Dairy & eggs: eggs"]


def test_todo_to_do_and_to_dash_do_name_one_list(family):
    tool_call(family["Ana"], "grocery_add", items=[{"name": "call mom"}], list="todo")
    tool_call(family["Ana"], "grocery_add", items=[{"name": "pay the rent"}], list="to-do")

    shown = tool_call(family["Ana"], "grocery_show", list="to do").text

    assert ShoppingList.objects.filter(name__in=["todo", "to-do", "to do"]).count() == 1
    assert shown.splitlines() == ["todo — 2 items:", "• call mom", "• pay the rent"]
