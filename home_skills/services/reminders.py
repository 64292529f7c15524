"""The morning chore reminder: one message per member and local day, on whichever channel reaches them."""

from datetime import date

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from alfred.content import Button, OutboundContent
from alfred.members import member_reach
from alfred.models import Member, Message
from alfred.outbox import message_member
from home_skills import selectors
from home_skills.models import ChoreReminder

MAX_REMINDER_BUTTONS = 3


def chore_reminder_record(*, member: Member, local_date: date) -> Message | None:
    """Record the member's morning reminder once per local day (the marker row's unique constraint makes
    a second call, or a concurrent one, a no-op). None when nothing is due, no channel can reach the member,
    or it was already recorded. The channel decides how it goes out (buttons, or a template when only a
    template is allowed); the buttons run ``chore_done`` and the notice values fill the template."""
    if member_reach(member) is None:
        return None
    chores = selectors.chores_due_for(member, day=local_date)
    if not chores:
        return None
    with transaction.atomic():
        marker, created = ChoreReminder.objects.get_or_create(member=member, local_date=local_date)
        if not created:
            return None
        titles = [chore.title for chore in chores]
        with translation.override(member.language or "en"):
            text = _("Good morning, %(name)s! Your chores for today: %(chores)s.") % {
                "name": member.name,
                "chores": ", ".join(titles),
            }
            buttons = tuple(
                Button(title=_("Done ✅ %(chore)s") % {"chore": title}, tool="chore_done", args={"chore": title})
                for title in titles[:MAX_REMINDER_BUTTONS]
            )
        content = OutboundContent(buttons=buttons, notice_values=(member.name, ", ".join(titles)))
        message = message_member(member=member, text=text, content=content, kind="reminder")
        marker.message = message
        marker.save(update_fields=["message"])
    return message
