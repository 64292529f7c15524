"""Demo lists and chores for ``manage.py seed_demo``. Idempotent: rows that exist are left as they are."""

from django.utils import timezone

from alfred.models import Member
from home_skills import selectors
from home_skills.aisles import load_builtin
from home_skills.models import Aisle, AisleKeyword, Chore, ShoppingList
from home_skills.services.chores import chore_create

LISTS = [
    {"name": "groceries", "is_default": True, "aliases": "shopping, grocery, compra, la compra, súper, super"},
    {"name": "pharmacy", "is_default": False, "aliases": "farmacia, chemist, drugstore"},
]
# The demo family; the channel apps give them their addresses (channels_wa/demo.py).
# name, is admin, language
MEMBERS = [("Ana", True, "es"), ("Leo", False, "en"), ("Maria", False, "es")]
# title, aliases, RRULE, strategy, assignees in turn order
CHORES = [
    ("dishes", "platos, fregar", "FREQ=DAILY", Chore.Strategy.ROUND_ROBIN, ["Leo", "Maria"]),
    ("trash", "basura", "FREQ=WEEKLY;BYDAY=MO,TH", Chore.Strategy.FIXED, ["Leo"]),
    ("vacuum", "aspirar, aspiradora", "FREQ=WEEKLY;BYDAY=SA", Chore.Strategy.FIXED, ["Ana"]),
    ("laundry", "colada, lavadora, ropa", "FREQ=WEEKLY;BYDAY=WE", Chore.Strategy.FIXED, ["Maria"]),
]


def seed() -> None:
    for name, is_admin, language in MEMBERS:
        Member.objects.update_or_create(name=name, defaults={"is_admin": is_admin, "language": language})
    # The dictionary normally comes with the migrations; a flushed database gets it back here.
    if not AisleKeyword.objects.exists():
        load_builtin(Aisle, AisleKeyword)
    for spec in LISTS:
        if not ShoppingList.objects.filter(name=spec["name"]).exists():
            if spec["is_default"] and ShoppingList.objects.filter(is_default=True).exists():
                spec = {**spec, "is_default": False}
            ShoppingList.objects.create(**spec)
    today = selectors.local_today(None, now=timezone.now())
    for title, aliases, rule, strategy, names in CHORES:
        if Chore.objects.filter(title__iexact=title).exists():
            continue
        members = [m for m in (Member.objects.filter(name=name).first() for name in names) if m is not None]
        chore_create(
            title=title,
            recurrence=rule,
            assignees=members,
            member=None,
            today=today,
            aliases=aliases,
            strategy=strategy,
        )
