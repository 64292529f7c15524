"""The admin as a person uses it, in Chromium, at a desktop size and a phone's (390 px): log in, add an item to
the shopping list, check it off with the admin action, complete a chore (home); add a note to a deal (biz);
screenshots of each instance's index. Then who cannot get in: a user who is not staff, anyone after five wrong
passwords; and each instance's admin shows none of the other's models."""

from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command

from alfred.models import Member
from tests.browser.conftest import screenshot

PASSWORD = "correct horse battery staple"
OTHER = {
    "home": ("/admin/work_skills/deal/", ["CRM", "Deals", "Work inbox"]),
    "biz": ("/admin/home_skills/item/", ["Shopping lists", "Chores", "Items"]),
}


@pytest.fixture
def admin_user(transactional_db: None) -> Member:
    """The demo data (seed_demo) and its admin member with a staff login."""
    call_command("seed_demo", stdout=StringIO())
    member = Member.objects.filter(is_admin=True).order_by("id").first()
    assert member is not None
    member.user = get_user_model().objects.create_superuser("admin", "admin@example.com", PASSWORD)
    member.save(update_fields=["user"])
    return member


def log_in(page, username: str = "admin", password: str = PASSWORD):
    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("input[type=submit]")
    return page


WIDEST = """() => {
  const limit = window.innerWidth + 1;
  return [...document.querySelectorAll("body *")]
    .filter((el) => el.getBoundingClientRect().right > limit)
    .slice(0, 5)
    .map((el) => `${el.tagName.toLowerCase()}#${el.id}.${el.className} right=${el.getBoundingClientRect().right}`);
}"""


def fits_the_screen(page) -> bool:
    """Nothing makes the page itself scroll sideways (wide tables scroll inside their own box)."""
    fits = bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))
    if not fits:
        print("wider than the screen:", page.url, page.evaluate(WIDEST))
    return fits


def run_action(page, changelist: str, pk: int, action: str) -> str:
    page.goto(changelist)
    page.check(f"input.action-select[value='{pk}']")
    page.select_option("select[name=action]", action)
    with page.expect_navigation():
        page.click("button[name=index]")
    return page.inner_text("ul.messagelist")


@pytest.mark.home
def test_a_family_member_adds_an_item_checks_it_off_and_completes_a_chore(page, viewport, admin_user):
    from home_skills.models import Chore, ChoreCompletion, Item, ItemState

    log_in(page)
    assert page.url.endswith("/admin/")
    assert page.inner_text("#site-name") == "Alfred · Home"
    assert fits_the_screen(page)
    screenshot(page, f"admin-home-index-{viewport}")

    page.goto("/admin/home_skills/item/add/")
    page.fill("#id_name", "bananas")
    page.select_option("#id_shopping_list", label="groceries")
    assert fits_the_screen(page)
    with page.expect_navigation():
        page.click("input[name=_save]")
    item = Item.objects.get(name="bananas")
    assert (item.state, item.shopping_list.name, item.added_by) == (ItemState.OPEN, "groceries", admin_user)
    assert "was added successfully" in page.inner_text("ul.messagelist")

    message = run_action(page, "/admin/home_skills/item/?state__exact=open", item.pk, "mark_bought")
    item.refresh_from_db()
    assert "1 item marked bought." in message
    assert item.state == ItemState.BOUGHT and item.bought_by == admin_user
    assert fits_the_screen(page)

    dishes = Chore.objects.get(title="dishes")
    message = run_action(page, "/admin/home_skills/chore/", dishes.pk, "complete_now")
    assert "1 chore completed." in message
    assert ChoreCompletion.objects.filter(chore=dishes, member=admin_user).count() == 1
    assert fits_the_screen(page)


@pytest.mark.biz
def test_the_owner_adds_a_note_to_a_deal(page, viewport, admin_user):
    from work_skills.models import Deal, Note

    log_in(page)
    assert page.inner_text("#site-name") == "Alfred · Biz"
    assert fits_the_screen(page)
    screenshot(page, f"admin-biz-index-{viewport}")

    deal = Deal.objects.get(title="Acme platform licence")
    page.goto(f"/admin/work_skills/deal/{deal.pk}/change/")
    page.fill("#id_notes-0-text", "Asked for a 5 % discount, call back Friday")
    assert fits_the_screen(page)
    with page.expect_navigation():
        page.click("input[name=_save]")

    assert "was changed successfully" in page.inner_text("ul.messagelist")
    note = Note.objects.get(text="Asked for a 5 % discount, call back Friday")
    assert (note.deal_id, note.company_id, note.author) == (deal.pk, deal.company_id, admin_user)


@pytest.mark.parametrize("viewport", ["desktop"])
def test_a_user_who_is_not_staff_cannot_get_in(page, admin_user):
    get_user_model().objects.create_user("member-9", password=PASSWORD)

    log_in(page, "member-9")

    assert "/admin/login/" in page.url
    assert "correct username and password for a staff account" in page.inner_text(".errornote")
    response = page.goto("/admin/")
    assert response is not None and "/admin/login/" in page.url


@pytest.mark.parametrize("viewport", ["phone"])
def test_five_wrong_passwords_lock_the_login(page, admin_user):
    for attempt in range(4):
        log_in(page, password=f"wrong-{attempt}")
        assert "correct username and password" in page.inner_text(".errornote")
    log_in(page, password="wrong-4")
    assert "Login locked" in page.inner_text("#content")

    log_in(page)  # the right password, now refused

    assert "Login locked" in page.inner_text("#content")
    assert "/admin/login/" in page.url
    assert page.goto("/admin/").url.endswith("/admin/login/?next=/admin/")


@pytest.mark.parametrize("viewport", ["desktop"])
def test_each_instances_admin_shows_none_of_the_others_models(page, admin_user):
    url, names = OTHER[settings.INSTANCE]

    log_in(page)
    sections = page.locator("#content-main .module caption").all_inner_texts()

    assert sections and not set(names) & {text.strip() for text in sections}
    assert not any(name in page.inner_text("#content-main") for name in names)
    response = page.goto(url)
    assert response is not None and response.status == 404
