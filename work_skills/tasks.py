"""Beat-driven morning digest of the work inbox. The dispatcher only finds who is due; each digest is its own
task that takes ids and is safe to run twice (the marker row's unique constraint)."""

from datetime import date

from celery import shared_task

from alfred.models import Member
from work_skills import selectors
from work_skills.mailbox import mailbox_configured
from work_skills.services.inbox import inbox_digest_record


@shared_task(acks_late=True, reject_on_worker_lost=True)
def inbox_digests_dispatch() -> None:
    if not mailbox_configured():
        return
    for member_id, local_date in selectors.inbox_digests_pending():
        inbox_digest_send.delay(member_id, local_date.isoformat())


@shared_task(acks_late=True, reject_on_worker_lost=True)
def inbox_digest_send(member_id: int, local_date: str) -> None:
    member = Member.objects.filter(pk=member_id, is_active=True).first()
    if member is not None:
        inbox_digest_record(member=member, local_date=date.fromisoformat(local_date))


@shared_task(acks_late=True, reject_on_worker_lost=True)
def calendar_export() -> None:
    """Nightly (beat, 02:00 local): the calendar bridge's export. A failure raises, so the worker logs it;
    home keeps yesterday's blocks and alerts once they are two nights old."""
    from work_skills.calendar import calendar_export as run

    run()
