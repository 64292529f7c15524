"""The admin: pages, filters, search, actions, API tokens, and user text shown escaped."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from alfred.models import ApiToken
from home_skills.models import Chore, ChoreCompletion, Item, ItemState, ShoppingList
from tests.home_skills.conftest import tool_call

pytestmark = pytest.mark.home

SCRIPT = "<script>alert('x')</script>"


@pytest.fixture
def admin_client(family, client: Client) -> Client:
    root = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(root)
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/admin/home_skills/shoppinglist/",
        "/admin/home_skills/item/?state__exact=open&q=bana",
        "/admin/home_skills/item/?bought_at__isnull=False",
        "/admin/home_skills/aisle/?q=leche",
        "/admin/home_skills/aislekeyword/?q=milk",
        "/admin/home_skills/chore/?q=platos",
        "/admin/home_skills/chorecompletion/",
        "/admin/home_skills/chorereminder/",
        "/admin/home_skills/listchange/",
        "/admin/alfred/member/?q=ana",
    ],
)
def test_every_home_admin_page_opens(admin_client, url):
    assert admin_client.get(url).status_code == 200


def test_a_list_page_shows_its_items_inline_and_a_chore_page_its_history(admin_client, family):
    tool_call(family["Ana"], "grocery_add", items=[{"name": "bananas"}])
    tool_call(family["Leo"], "chore_done", chore="dishes")
    groceries = ShoppingList.objects.get(name="groceries")
    dishes = Chore.objects.get(title="dishes")

    list_page = admin_client.get(f"/admin/home_skills/shoppinglist/{groceries.pk}/change/").content.decode()
    chore_page = admin_client.get(f"/admin/home_skills/chore/{dishes.pk}/change/").content.decode()

    assert 'value="bananas"' in list_page
    assert "Chore completions" in chore_page and "Leo" in chore_page


def test_item_names_are_shown_escaped(admin_client, family):
    tool_call(family["Ana"], "grocery_add", items=[{"name": SCRIPT}])
    groceries = ShoppingList.objects.get(name="groceries")

    pages = [
        admin_client.get("/admin/home_skills/item/").content.decode(),
        admin_client.get(f"/admin/home_skills/shoppinglist/{groceries.pk}/change/").content.decode(),
    ]

    for page in pages:
        assert SCRIPT not in page
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page


def test_mark_bought_and_clear_bought_actions(admin_client, family):
    tool_call(family["Ana"], "grocery_add", items=[{"name": "milk"}, {"name": "eggs"}])
    milk = Item.objects.get(name="milk")
    groceries = ShoppingList.objects.get(name="groceries")

    admin_client.post("/admin/home_skills/item/", {"action": "mark_bought", "_selected_action": [milk.pk]})
    milk.refresh_from_db()
    assert milk.state == ItemState.BOUGHT
    admin_client.post(
        "/admin/home_skills/shoppinglist/", {"action": "clear_bought", "_selected_action": [groceries.pk]}
    )
    milk.refresh_from_db()
    assert milk.state == ItemState.CLEARED
    assert Item.objects.get(name="eggs").state == ItemState.OPEN


def test_complete_now_completes_the_chore_and_rotates_it(admin_client):
    dishes = Chore.objects.get(title="dishes")

    admin_client.post("/admin/home_skills/chore/", {"action": "complete_now", "_selected_action": [dishes.pk]})

    dishes.refresh_from_db()
    assert ChoreCompletion.objects.filter(chore=dishes, kind="done").count() == 1
    assert dishes.current_assignee.name == "Maria"


def test_an_admin_makes_one_api_token_per_member(admin_client, family):
    leo = family["Leo"]

    first = admin_client.post("/admin/alfred/member/", {"action": "create_api_token", "_selected_action": [leo.pk]})
    again = admin_client.post("/admin/alfred/member/", {"action": "create_api_token", "_selected_action": [leo.pk]})

    leo.refresh_from_db()
    assert ApiToken.objects.filter(user=leo.user).count() == 1 and ApiToken.objects.count() == 1
    assert "Leo: API token <code>" in first.content.decode()
    assert "Leo already has an API token" in again.content.decode()


def test_a_chore_saved_in_the_admin_gets_a_checked_rrule(admin_client, family):
    dishes = Chore.objects.get(title="dishes")
    form = {
        "title": "dishes",
        "aliases": "platos, fregar",
        "recurrence": "freq=weekly;byday=mo",
        "basis": "due",
        "strategy": "round_robin",
        "anchor": "2025-01-06",
        "next_due": "2025-01-06",
        "is_active": "on",
        "assignments-TOTAL_FORMS": "0",
        "assignments-INITIAL_FORMS": "0",
        "completions-TOTAL_FORMS": "0",
        "completions-INITIAL_FORMS": "0",
    }

    response = admin_client.post(f"/admin/home_skills/chore/{dishes.pk}/change/", form)

    assert response.status_code == 302, response.content.decode()[:2000]
    dishes.refresh_from_db()
    assert dishes.recurrence == "FREQ=WEEKLY;BYDAY=MO"


def inline_management(prefix: str, total: int = 0, initial: int = 0) -> dict[str, str]:
    return {f"{prefix}-TOTAL_FORMS": str(total), f"{prefix}-INITIAL_FORMS": str(initial)}


def test_adding_an_item_that_is_already_on_the_list_in_the_admin_is_a_form_error_not_a_crash(admin_client, family):
    tool_call(family["Ana"], "grocery_add", items=[{"name": "bananas"}])
    groceries = ShoppingList.objects.get(name="groceries")

    response = admin_client.post(
        "/admin/home_skills/item/add/",
        {"shopping_list": groceries.pk, "name": "Banana", "quantity": "1", "state": "open"},
    )

    assert response.status_code == 200
    assert "already on the list" in response.content.decode()
    assert Item.objects.count() == 1


def test_an_rrule_that_cannot_be_used_is_a_form_error(admin_client):
    dishes = Chore.objects.get(title="dishes")
    form = {
        "title": "dishes",
        "recurrence": "FREQ=HOURLY",
        "basis": "due",
        "strategy": "fixed",
        "anchor": "2025-01-06",
        "is_active": "on",
        **inline_management("assignments"),
        **inline_management("completions"),
    }

    response = admin_client.post(f"/admin/home_skills/chore/{dishes.pk}/change/", form)

    assert response.status_code == 200
    assert "Not a recurrence I can use" in response.content.decode()
    dishes.refresh_from_db()
    assert dishes.recurrence == "FREQ=DAILY"


def test_a_chore_made_in_the_admin_gets_its_first_due_date_and_someone_on_duty(admin_client, family):
    form = {
        "title": "water the plants",
        "aliases": "regar",
        "recurrence": "FREQ=WEEKLY;BYDAY=SU",
        "basis": "due",
        "strategy": "round_robin",
        "anchor": "2025-01-06",
        "is_active": "on",
        **inline_management("assignments", total=2),
        "assignments-0-member": family["Maria"].pk,
        "assignments-0-position": "0",
        "assignments-1-member": family["Ana"].pk,
        "assignments-1-position": "1",
        **inline_management("completions"),
    }

    response = admin_client.post("/admin/home_skills/chore/add/", form)

    assert response.status_code == 302, response.content.decode()[:3000]
    chore = Chore.objects.get(title="water the plants")
    assert str(chore.next_due) == "2025-01-12"  # the first Sunday from the anchor
    assert chore.current_assignee == family["Maria"]


def dashboard_cards(page: str) -> dict[str, str]:
    import re

    pattern = r'<h3>(?:<a href="[^"]*">)?([^<]+)(?:</a>)?</h3>\s*<p class="alfred-value">([^<]+)</p>'
    return dict(re.findall(pattern, page))


def test_the_dashboard_shows_todays_chores_and_the_open_items(admin_client, family):
    from home_skills import selectors

    tool_call(family["Ana"], "grocery_add", items=[{"name": "milk"}, {"name": "eggs"}])
    tool_call(family["Ana"], "grocery_add", items=[{"name": "plasters"}], list="pharmacy")
    today = selectors.local_today(None)
    due = [chore.title for chore, _occurrence in selectors.chores_due_on(today, today=today)]

    page = admin_client.get("/admin/").content.decode()
    cards = dashboard_cards(page)

    assert cards["Open list items"] == "3"
    assert "groceries: 2" in page and "pharmacy: 1" in page
    assert cards["Chores due today"] == str(len(due)) and "dishes" in due
    assert "dishes — " in page
    # Done today, it is no longer due today.
    tool_call(family["Leo"], "chore_done", chore="dishes")
    assert dashboard_cards(admin_client.get("/admin/").content.decode())["Chores due today"] == str(len(due) - 1)
