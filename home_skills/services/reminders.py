"""The morning chore reminder: one WhatsApp message per member and local day."""

from datetime import date

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from alfred.interactive import button_id
from alfred.models import Channel, Member, Message
from alfred.services import conversation_for, outbound_record
from home_skills import selectors
from home_skills.models import ChoreReminder

MAX_REMINDER_BUTTONS = 3


def chore_reminder_record(*, member: Member, local_date: date) -> Message | None:
    """Record the member's morning reminder once per local day (the marker row's unique constraint makes
    a second call, or a concurrent one, a no-op). None when nothing is due or it was already recorded."""
    if not member.wa_id:
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
        buttons = [
            {"id": button_id("chore_done", {"chore": title}), "title": f"Done ✅ {title}"[:20]}
            for title in titles[:MAX_REMINDER_BUTTONS]
        ]
        conversation = conversation_for(channel=Channel.WHATSAPP, external_id=member.wa_id, member=member)
        message = outbound_record(
            conversation=conversation,
            text=text,
            proactive=True,
            kind="reminder",
            raw={"template_params": [member.name, ", ".join(titles)], "buttons": buttons},
        )
        marker.message = message
        marker.save(update_fields=["message"])
    return message
