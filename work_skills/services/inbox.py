"""The work inbox: reading the owner's mailbox into a ranked, extractive summary, the morning digest (once
per member and local day) and "done" (``\\Seen`` on one message, the only change Alfred makes to a mailbox).

Each email is summarised extractively (sender, subject and the first meaningful sentence: free, fast, and
nothing in the email can talk it into anything); when the LLM is configured, the first emails also get a
one-sentence summary from ``alfred.llm.summarise``, which treats the text as untrusted data with no tools,
and falls back to the extractive line when the model is down or over budget.
"""

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from alfred import llm
from alfred.content import Button, OutboundContent
from alfred.members import member_reach
from alfred.models import Member, Message
from alfred.outbox import message_member
from work_skills import selectors
from work_skills.mail import clean
from work_skills.mailbox import Batch, MailboxError, mailbox_configured, mailbox_fetch, mailbox_mark_seen
from work_skills.models import InboxDigest
from work_skills.selectors import RankedEmail

logger = logging.getLogger(__name__)

# Buttons on a digest: one "Done" per email, the most important first (Slack shows up to 25; more is noise).
MAX_DIGEST_BUTTONS = 10
# A button names its email by number and the start of its subject.
BUTTON_SUBJECT_CHARS = 40


@dataclass(frozen=True)
class InboxRead:
    """One read of the mailbox, ranked."""

    batch: Batch
    ranked: list[RankedEmail]


def inbox_read(*, member: Member, since: date | None = None) -> InboxRead:
    """The mailbox since ``since`` (a local date), or else since the member's last digest, or else since
    yesterday. Raises ``MailboxError``."""
    today = selectors.local_today(member)
    last = selectors.inbox_digest_last(member) if since is None else None
    batch = mailbox_fetch(
        after_uid=last.last_uid if last else None,
        uidvalidity=last.uidvalidity if last else None,
        since=since or today - timedelta(days=1),
    )
    return InboxRead(batch=batch, ranked=selectors.inbox_ranked(batch.emails))


def inbox_summaries(*, member: Member, ranked: list[RankedEmail]) -> dict[int, str]:
    """An LLM sentence for each of the first emails (as many as the digest has buttons), by uid; empty when
    the LLM is not configured. Called outside any transaction: a model may take seconds."""
    if not llm.llm_configured():
        return {}
    summaries: dict[int, str] = {}
    for item in ranked[:MAX_DIGEST_BUTTONS]:
        one = item.email
        if one.broken or not one.body.strip():
            continue
        text = f"From: {one.sender}\nSubject: {one.subject}\n\n{one.body}"
        summary = llm.summarise(text=text, source=f"email:{one.uid}", member=member)
        if summary:
            summaries[one.uid] = summary
    return summaries


def email_line(number: int, item: RankedEmail, summary: str | None = None) -> str:
    one = item.email
    who = one.sender + (f" ({item.company})" if item.company else "")
    line = f"{number}. {who} — {one.subject or _('(no subject)')}"
    sentence = summary or one.sentence()
    if sentence:
        line += f": “{sentence}”"
    elif one.broken:
        line += " " + _("(this email could not be read)")
    if one.truncated:
        line += " " + _("(long: only its start was read)")
    if one.attachments:
        line += " 📎 " + ", ".join(one.attachments)
    return line


def inbox_text(ranked: list[RankedEmail], summaries: dict[int, str] | None = None) -> str:
    """The summary lines in three groups: CRM (contacts, open deals), people, newsletters and machines."""
    groups = [
        (_("CRM:"), [item for item in ranked if item.tier == 0]),
        (_("People:"), [item for item in ranked if item.tier == 1]),
        (_("Newsletters and notifications:"), [item for item in ranked if item.tier == 2]),
    ]
    lines: list[str] = []
    number = 0
    for title, items in groups:
        if not items:
            continue
        lines.append(title)
        for item in items:
            number += 1
            lines.append(email_line(number, item, (summaries or {}).get(item.email.uid)))
    return "\n".join(lines)


def done_buttons(ranked: list[RankedEmail]) -> tuple[Button, ...]:
    return tuple(
        Button(
            title=_("Done ✅ %(number)s. %(subject)s")
            % {"number": number, "subject": clean(item.email.subject or item.email.sender, BUTTON_SUBJECT_CHARS)},
            tool="inbox_done",
            args={"uid": item.email.uid},
        )
        for number, item in enumerate(ranked[:MAX_DIGEST_BUTTONS], start=1)
    )


def inbox_digest_record(*, member: Member, local_date: date) -> Message | None:
    """Read the mailbox and record the member's morning digest once per local day (the marker row's unique
    constraint makes a second or concurrent call a no-op). The marker is written even when nothing is new,
    so the mailbox is read once a day; it is not written when the mailbox cannot be read, so the next beat
    tries again. None when nothing was sent."""
    if not mailbox_configured() or member_reach(member) is None:
        return None
    if InboxDigest.objects.filter(member=member, local_date=local_date).exists():
        return None
    try:
        read = inbox_read(member=member)
    except MailboxError as problem:
        logger.warning("inbox digest for member %s not built: %s", member.pk, problem)
        return None
    summaries = inbox_summaries(member=member, ranked=read.ranked)
    with transaction.atomic():
        marker, created = InboxDigest.objects.get_or_create(
            member=member,
            local_date=local_date,
            defaults={"uidvalidity": read.batch.uidvalidity, "last_uid": read.batch.last_uid},
        )
        if not created or not read.ranked:
            return None
        with translation.override(member.language or "en"):
            count = len(read.ranked)
            heading = ngettext(
                "Good morning, %(name)s! %(count)s new email in your inbox:",
                "Good morning, %(name)s! %(count)s new emails in your inbox:",
                count,
            ) % {"name": member.name, "count": count}
            text = f"{heading}\n{inbox_text(read.ranked, summaries)}"
            buttons = done_buttons(read.ranked)
        content = OutboundContent(buttons=buttons, notice_values=(member.name, str(count)))
        message = message_member(member=member, text=text, content=content, kind="digest")
        marker.message = message
        marker.save(update_fields=["message"])
    return message


def inbox_done(*, uid: int) -> bool:
    """Mark one email read (``\\Seen``); False when the folder has no such message. Raises ``MailboxError``."""
    return mailbox_mark_seen(uid=uid)
