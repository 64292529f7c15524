"""Through the terminal channel on Postgres: the whole path a WhatsApp message takes, minus the webhook."""

import pytest
from django.db import connection

from home_skills.models import Item, ItemState
from tests.home_skills.conftest import chat

pytestmark = [pytest.mark.home, pytest.mark.django_db(transaction=True)]


def test_ana_adds_bananas_and_then_sees_them_on_the_list(transactional_family):
    added = chat("add bananas", sender="Ana")
    shown = chat("what's on the list", sender="Ana")

    assert added["path"] == "rules"
    assert added["actions"] == [{"tool": "grocery_add", "args": {"items": [{"name": "bananas"}]}}]
    assert shown["actions"] == [{"tool": "grocery_show", "args": {}}]
    assert "bananas" in shown["reply"]
    assert Item.objects.get(state=ItemState.OPEN).name == "bananas"


def test_a_spanish_message_gets_a_spanish_reply_and_an_english_one_an_english_reply(transactional_family):
    spanish = chat("añade 2 barras de pan", sender="Leo")
    english = chat("what's on the list?", sender="Maria")

    assert spanish["reply"] == "Añadido a groceries: pan (2 barras)."
    assert english["reply"].startswith("groceries — 1 item to buy:")
    assert "🍞 Bakery: pan (2 loaves)" in english["reply"]


def test_chores_by_chat_rotate_the_dishes_between_leo_and_maria(transactional_family):
    before = chat("who's doing the dishes today?", sender="Ana")
    done = chat("I did the dishes", sender="Leo")
    mine = chat("my chores", sender="Maria")

    assert before["reply"] == "Leo is on dishes today."
    assert done["actions"] == [{"tool": "chore_done", "args": {"chore": "dishes"}}]
    assert "Next: tomorrow — Maria" in done["reply"]
    assert "dishes — tomorrow" in mine["reply"]


@pytest.mark.parametrize(
    "name",
    ["Robert'); DROP TABLE home_skills_item; --", "<script>alert('x')</script>", "x" * 500],
    ids=["sql", "html", "500-chars"],
)
def test_awkward_item_names_are_stored_as_text_and_shown_as_text(transactional_family, name):
    added = chat(f"add {name}")
    shown = chat("what's on the list")

    assert Item.objects.get().name == name
    assert name in added["reply"] and name in shown["reply"]
    with connection.cursor() as cursor:  # the table is still there
        cursor.execute("SELECT count(*) FROM home_skills_item")
        assert cursor.fetchone()[0] == 1


@pytest.mark.parametrize("text", ["add 0 bananas", "add -2 milk", "add 1000000000 eggs", "añade 0 plátanos"])
def test_an_absurd_quantity_is_refused_with_a_clear_reply_and_nothing_is_added(transactional_family, text):
    result = chat(text)

    assert result["path"] == "rules"
    assert "Nothing was changed" in result["reply"] or "No he cambiado nada" in result["reply"]
    assert "10000" in result["reply"]
    assert not Item.objects.exists()


def test_assigning_a_chore_to_someone_unknown_says_who_the_members_are(transactional_family):
    result = chat("assign dishes to Bob")

    assert result["actions"] == [{"tool": "chore_assign", "args": {"chore": "dishes", "member": "Bob"}}]
    assert result["reply"] == "I don't know anyone called Bob. The members are: Ana, Leo, Maria."


def test_done_with_an_unknown_chore_suggests_the_closest_chores(transactional_family):
    close = chat("done with the londry")
    far = chat("done with the gardening")

    assert close["reply"] == "I don't know a chore called “londry”. Did you mean: laundry?"
    assert far["reply"] == "I don't know a chore called “gardening”. The chores are: dishes, laundry, trash, vacuum."


def test_a_message_the_rules_do_not_understand_goes_to_the_fallback_not_to_a_tool(transactional_family):
    result = chat("the milk was sour yesterday")

    assert result["path"] == "fallback"
    assert result["actions"] == []


@pytest.mark.parametrize(
    ("text", "sender", "reply"),
    [
        (
            "add the school play to my calendar",
            "Leo",
            "I can only see when you're busy — I can't add, move or cancel events.",
        ),
        (
            "ponme un recordatorio para llamar a la abuela",
            "Ana",
            "No puedo poner recordatorios, alarmas ni temporizadores: me ocupo de las listas y las tareas de casa.",
        ),
        ("delete everything", "Leo", "I don't delete everything at once."),
    ],
)
def test_an_out_of_scope_request_gets_a_short_answer_and_nothing_is_written(transactional_family, text, sender, reply):
    answered = chat(text, sender=sender)

    assert answered["path"] == "rules"
    assert answered["reply"].startswith(reply)
    assert [action["tool"] for action in answered["actions"]] == ["out_of_scope"]
    assert not Item.objects.exists()
