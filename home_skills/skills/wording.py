"""What the home tools say, in the active language: rejections, amounts, items, days, schedules and
"I don't know that one" answers."""

from datetime import date, timedelta
from decimal import Decimal

from django.utils.dates import WEEKDAYS
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from alfred.models import Member
from alfred.rules.days import WEEKDAY_CODES
from alfred.rules.numbers import format_quantity
from home_skills import selectors
from home_skills.models import Item
from home_skills.services import Rejected
from home_skills.services.chores import MAX_TITLE_CHARS
from home_skills.services.lists import MAX_QUANTITY


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
