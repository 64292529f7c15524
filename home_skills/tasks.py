"""Beat-driven chore reminders. The dispatcher only finds who is due; each reminder is its own task that
takes ids and is safe to run twice (the marker row's unique constraint)."""

from datetime import date

from celery import shared_task

from alfred.models import Member
from home_skills import selectors
from home_skills.services.reminders import chore_reminder_record


@shared_task(acks_late=True, reject_on_worker_lost=True)
def chore_reminders_dispatch() -> None:
    for member_id, local_date in selectors.reminders_pending():
        chore_reminder_send.delay(member_id, local_date.isoformat())


@shared_task(acks_late=True, reject_on_worker_lost=True)
def chore_reminder_send(member_id: int, local_date: str) -> None:
    member = Member.objects.filter(pk=member_id, is_active=True).first()
    if member is not None:
        chore_reminder_record(member=member, local_date=date.fromisoformat(local_date))


@shared_task(acks_late=True, reject_on_worker_lost=True)
def calendar_import() -> None:
    """Nightly (beat, 03:00 local): read biz's busy blocks. A refused document is logged and audited, the
    last good blocks stay; the task does not fail, so Celery does not retry into the same refusal."""
    from home_skills.bridge import calendar_import as run

    run()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def calendar_bridge_check() -> None:
    """Hourly: the bridge's age to the metric, and the alert while it is older than two nights."""
    from home_skills.bridge import bridge_age_check

    bridge_age_check()
