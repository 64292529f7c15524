"""Writes for chores: create, assign, complete (rotating the turn), skip and snooze."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import IntegrityError, transaction

from alfred.models import Member
from home_skills import selectors
from home_skills.models import Chore, ChoreAssignee, ChoreCompletion, recurrence_normalise
from home_skills.services import Rejected

MAX_TITLE_CHARS = 100
MAX_SNOOZE_DAYS = 60


def recurrence_check(value: str | None) -> str:
    """The RRULE normalised (see ``models.recurrence_normalise``); ``Rejected`` when it is not usable."""
    try:
        return recurrence_normalise(value)
    except ValueError:
        raise Rejected("recurrence", recurrence=value) from None


def chore_create(
    *,
    title: str,
    recurrence: str | None,
    assignees: list[Member],
    member: Member | None,
    today: date,
    aliases: str = "",
    strategy: str | None = None,
    basis: str = Chore.Basis.DUE_DATE,
) -> Chore:
    cleaned = " ".join((title or "").split())
    if not cleaned:
        raise Rejected("title_empty")
    if len(cleaned) > MAX_TITLE_CHARS:
        raise Rejected("title_long", limit=MAX_TITLE_CHARS)
    rule = recurrence_check(recurrence)
    if Chore.objects.filter(title__iexact=cleaned).exists():
        raise Rejected("chore_exists", title=cleaned)
    unique_assignees = list(dict.fromkeys(assignees))
    chosen = strategy or (Chore.Strategy.ROUND_ROBIN if len(unique_assignees) > 1 else Chore.Strategy.FIXED)
    try:
        with transaction.atomic():
            chore = Chore.objects.create(
                title=cleaned,
                aliases=aliases,
                recurrence=rule,
                basis=basis,
                strategy=chosen,
                anchor=today,
                next_due=Chore(recurrence=rule).first_due_from(today),
                current_assignee=unique_assignees[0] if unique_assignees else None,
                created_by=member,
            )
            ChoreAssignee.objects.bulk_create(
                [ChoreAssignee(chore=chore, member=m, position=n) for n, m in enumerate(unique_assignees)]
            )
    except IntegrityError:
        # The check above cannot see a concurrent insert of the same title; the unique index does.
        raise Rejected("chore_exists", title=cleaned) from None
    return chore


def chore_assign_to(*, chore: Chore, member: Member) -> Chore:
    """From now on ``member`` does the chore (the only assignee)."""
    with transaction.atomic():
        chore = Chore.objects.select_for_update().get(pk=chore.pk)
        chore.assignments.all().delete()
        ChoreAssignee.objects.create(chore=chore, member=member, position=0)
        chore.strategy = Chore.Strategy.FIXED
        chore.current_assignee = member
        chore.save(update_fields=["strategy", "current_assignee"])
    return chore


@dataclass
class CompletionOutcome:
    chore: Chore
    completed: bool
    next_due: date | None
    next_assignee: Member | None
    # Set when the chore was already done today and nothing is due: the second "done" changes nothing.
    already_done: bool = False


def chore_complete(*, chore: Chore, member: Member | None, today: date) -> CompletionOutcome:
    """Complete the current occurrence: record who did it, rotate the assignee, compute the next due date
    (due-date basis keeps the calendar; completion basis counts from today)."""
    with transaction.atomic():
        chore = Chore.objects.select_for_update().get(pk=chore.pk)
        due = chore.next_due
        last = ChoreCompletion.objects.filter(chore=chore, kind=ChoreCompletion.Kind.DONE).first()
        done_today = last is not None and last.completed_at.astimezone(selectors.member_zone(member)).date() == today
        if due is not None and due > today and done_today:
            return CompletionOutcome(chore, False, due, chore.current_assignee, already_done=True)
        ChoreCompletion.objects.create(
            chore=chore, kind=ChoreCompletion.Kind.DONE, member=member, assignee=chore.current_assignee, due_date=due
        )
        if not chore.recurrence:
            chore.is_active, chore.next_due = False, None
            chore.save(update_fields=["is_active", "next_due"])
            return CompletionOutcome(chore, True, None, None)
        if chore.basis == Chore.Basis.COMPLETION:
            chore.anchor = today
            chore.next_due = selectors.occurrence_after(chore, today)
        else:
            chore.next_due = selectors.occurrence_after(chore, max(due or today, today))
        chore.current_assignee = selectors.next_in_turn(chore, after=chore.current_assignee)
        chore.save(update_fields=["anchor", "next_due", "current_assignee"])
    return CompletionOutcome(chore, True, chore.next_due, chore.current_assignee)


def chore_skip_occurrence(*, chore: Chore, member: Member | None, today: date) -> Chore:
    """Skip the current occurrence (and any missed ones): nobody is credited and the turn does not move."""
    with transaction.atomic():
        chore = Chore.objects.select_for_update().get(pk=chore.pk)
        ChoreCompletion.objects.create(
            chore=chore,
            kind=ChoreCompletion.Kind.SKIPPED,
            member=member,
            assignee=chore.current_assignee,
            due_date=chore.next_due,
        )
        if not chore.recurrence:
            chore.is_active, chore.next_due = False, None
        else:
            chore.next_due = selectors.occurrence_after(chore, max(chore.next_due or today, today))
        chore.save(update_fields=["is_active", "next_due"])
    return chore


def chore_snooze_days(*, chore: Chore, days: int, today: date) -> Chore:
    if days < 1 or days > MAX_SNOOZE_DAYS:
        raise Rejected("snooze_days", limit=MAX_SNOOZE_DAYS)
    with transaction.atomic():
        chore = Chore.objects.select_for_update().get(pk=chore.pk)
        chore.next_due = (chore.next_due or today) + timedelta(days=days)
        chore.save(update_fields=["next_due"])
    return chore
