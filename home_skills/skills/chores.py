"""The chore tools: add, assign, done, who, due, mine, skip, snooze."""

from datetime import date, timedelta
from typing import Literal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from alfred.models import Member
from alfred.registry import Skill, ToolContext, ToolResult, tool
from alfred.rules.days import day_date
from alfred.rules.phrasebook import FirstMatch
from home_skills import selectors
from home_skills.models import Chore
from home_skills.phrasebook.chores import ChoresPhrasebook
from home_skills.phrasebook.scope import ScopePhrasebook
from home_skills.services import Rejected
from home_skills.services.chores import (
    chore_assign_to,
    chore_complete,
    chore_create,
    chore_skip_occurrence,
    chore_snooze_days,
)
from home_skills.skills.scope import out_of_scope
from home_skills.skills.wording import (
    day_label,
    day_phrase,
    names_text,
    recurrence_text,
    rejection_text,
    unknown_chore_text,
    unknown_member_text,
    who_text,
)

DayName = Literal["today", "tomorrow", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def _chore_or_reply(reference: str) -> Chore | ToolResult:
    found = selectors.chore_find(reference)
    return found if found is not None else ToolResult(text=unknown_chore_text(reference), ok=False)


@tool()
def chore_add(
    ctx: ToolContext, *, title: str, recurrence: str | None = None, assignees: list[str] | None = None
) -> ToolResult:
    """Create a household chore ("add a chore: water the plants every Sunday").

    ``recurrence`` is an RRULE: "FREQ=DAILY", "FREQ=WEEKLY;BYDAY=MO,TH", "FREQ=WEEKLY;INTERVAL=2",
    "FREQ=MONTHLY"; omit for a one-off. ``assignees`` are member names (or "me"); with several, they take
    turns."""
    members: list[Member] = []
    for name in assignees or []:
        member = selectors.member_find(name, me=ctx.member)
        if member is None:
            return ToolResult(text=unknown_member_text(name), ok=False)
        members.append(member)
    today = selectors.local_today(ctx.member)
    try:
        chore = chore_create(title=title, recurrence=recurrence, assignees=members, member=ctx.member, today=today)
    except Rejected as problem:
        return ToolResult(text=rejection_text(problem), ok=False)
    text = _("New chore: %(chore)s, %(schedule)s, first %(when)s.") % {
        "chore": chore.title,
        "schedule": recurrence_text(chore.recurrence),
        "when": day_phrase(chore.next_due or today, today),
    }
    if members:
        text += " " + _("Assigned to %(who)s.") % {"who": names_text([m.name for m in members])}
    else:
        text += " " + _("Nobody is assigned yet: say “assign %(chore)s to <name>”.") % {"chore": chore.title}
    return ToolResult(text=text, data={"chore": chore.title})


@tool()
def chore_assign(ctx: ToolContext, *, chore: str, member: str) -> ToolResult:
    """Make one member responsible for a chore from now on ("assign laundry to Leo"). ``member`` is a
    member's name or "me"."""
    found = _chore_or_reply(chore)
    if isinstance(found, ToolResult):
        return found
    person = selectors.member_find(member, me=ctx.member)
    if person is None:
        return ToolResult(text=unknown_member_text(member), ok=False)
    chore_assign_to(chore=found, member=person)
    return ToolResult(text=_("From now on %(who)s does %(chore)s.") % {"who": person.name, "chore": found.title})


@tool()
def chore_done(ctx: ToolContext, *, chore: str) -> ToolResult:
    """Mark the current occurrence of a chore as done by this user ("I took out the trash", "ya fregué").
    Rotates the turn and sets the next due date."""
    found = _chore_or_reply(chore)
    if isinstance(found, ToolResult):
        return found
    today = selectors.local_today(ctx.member)
    outcome = chore_complete(chore=found, member=ctx.member, today=today)
    if outcome.already_done:
        return ToolResult(
            text=_("%(chore)s was already done today. Next: %(when)s — %(who)s.")
            % {
                "chore": found.title,
                "when": day_label(outcome.next_due or today, today),
                "who": who_text(outcome.next_assignee),
            }
        )
    if outcome.next_due is None:
        return ToolResult(
            text=_("✅ %(chore)s done, thanks %(name)s!") % {"chore": found.title, "name": ctx.member.name}
        )
    return ToolResult(
        text=_("✅ %(chore)s done, thanks %(name)s! Next: %(when)s — %(who)s.")
        % {
            "chore": found.title,
            "name": ctx.member.name,
            "when": day_label(outcome.next_due, today),
            "who": who_text(outcome.next_assignee),
        }
    )


@tool()
def chore_who(ctx: ToolContext, *, chore: str, day: DayName | None = None) -> ToolResult:
    """Say who is doing a chore ("who's doing the dishes today?"). ``day``: today, tomorrow or a weekday;
    omit for the next time it is due."""
    found = _chore_or_reply(chore)
    if isinstance(found, ToolResult):
        return found
    today = selectors.local_today(ctx.member)
    if found.next_due is None:
        return ToolResult(text=_("%(chore)s is not scheduled any more.") % {"chore": found.title})
    if day is None:
        occurrence = selectors.Occurrence(day=found.next_due, assignee=found.current_assignee)
    else:
        target = day_date(day, today=today)
        maybe = selectors.chore_on(found, target, today=today)
        if maybe is None:
            nxt = next(iter(selectors.chore_occurrences(found, until=target.replace(year=target.year + 1))), None)
            return ToolResult(
                text=_("%(chore)s is not due %(when)s. Next: %(next)s — %(who)s.")
                % {
                    "chore": found.title,
                    "when": day_phrase(target, today),
                    "next": day_label(nxt.day, today) if nxt else "—",
                    "who": who_text(nxt.assignee if nxt else None),
                }
            )
        occurrence = maybe
    if occurrence.assignee is None:
        return ToolResult(text=_("Nobody is assigned to %(chore)s yet.") % {"chore": found.title})
    return ToolResult(
        text=_("%(who)s is on %(chore)s %(when)s.")
        % {"who": occurrence.assignee.name, "chore": found.title, "when": day_phrase(occurrence.day, today)}
    )


@tool()
def chore_due(ctx: ToolContext, *, day: DayName | None = None, week: bool = False) -> ToolResult:
    """List the chores due on a day and who does each ("what chores are due today?"). ``day``: today
    (the default, overdue chores included), tomorrow or a weekday. ``week``: every day from today to
    Sunday instead ("what chores are due this week?")."""
    today = selectors.local_today(ctx.member)
    if week:
        return _chores_due_this_week(today)
    target = day_date(day or "today", today=today)
    due = selectors.chores_due_on(target, today=today)
    when = day_phrase(target, today)
    if not due:
        return ToolResult(text=_("No chores due %(when)s. 🎉") % {"when": when})
    lines = [_("Chores due %(when)s:") % {"when": when}]
    for chore, occurrence in due:
        late = f" ({day_phrase(occurrence.day, today)})" if occurrence.day < today else ""
        lines.append(f"• {chore.title} — {who_text(occurrence.assignee)}{late}")
    return ToolResult(text="\n".join(lines))


def _chores_due_this_week(today: date) -> ToolResult:
    lines = [_("Chores due this week:")]
    for offset in range(7 - today.weekday()):
        target = today + timedelta(days=offset)
        due = selectors.chores_due_on(target, today=today)
        if due:
            names = [f"{chore.title} — {who_text(occurrence.assignee)}" for chore, occurrence in due]
            lines.append(f"• {day_label(target, today)}: {'; '.join(names)}")
    if len(lines) == 1:
        return ToolResult(text=_("No chores due this week. 🎉"))
    return ToolResult(text="\n".join(lines))


@tool()
def chore_mine(ctx: ToolContext) -> ToolResult:
    """List the chores this user is on duty for, with when each is due ("my chores", "qué me toca")."""
    today = selectors.local_today(ctx.member)
    chores = selectors.chores_of(ctx.member)
    if not chores:
        return ToolResult(text=_("You have no chores assigned right now."))
    lines = [_("Your chores:")]
    lines += [f"• {c.title} — {day_label(c.next_due, today)}" for c in chores if c.next_due is not None]
    return ToolResult(text="\n".join(lines))


@tool()
def chore_skip(ctx: ToolContext, *, chore: str) -> ToolResult:
    """Skip the current occurrence of a chore ("skip dishes today"): nobody is credited and the turn stays
    with the same person."""
    found = _chore_or_reply(chore)
    if isinstance(found, ToolResult):
        return found
    today = selectors.local_today(ctx.member)
    updated = chore_skip_occurrence(chore=found, member=ctx.member, today=today)
    if updated.next_due is None:
        return ToolResult(text=_("Skipped %(chore)s.") % {"chore": updated.title})
    return ToolResult(
        text=_("Skipped %(chore)s. Next: %(when)s — %(who)s.")
        % {
            "chore": updated.title,
            "when": day_label(updated.next_due, today),
            "who": who_text(updated.current_assignee),
        }
    )


@tool()
def chore_snooze(ctx: ToolContext, *, chore: str, days: int) -> ToolResult:
    """Postpone a chore's due date by a number of days ("snooze trash 1 day", "aplaza la basura a mañana")."""
    found = _chore_or_reply(chore)
    if isinstance(found, ToolResult):
        return found
    today = selectors.local_today(ctx.member)
    try:
        updated = chore_snooze_days(chore=found, days=days, today=today)
    except Rejected as problem:
        return ToolResult(text=rejection_text(problem), ok=False)
    return ToolResult(
        text=ngettext(
            "Snoozed %(chore)s by %(days)s day: now due %(when)s.",
            "Snoozed %(chore)s by %(days)s days: now due %(when)s.",
            days,
        )
        % {"chore": updated.title, "days": days, "when": day_phrase(updated.next_due or today, today)}
    )


def chores_summary() -> str:
    return _("Chores: “who's doing the dishes?”, “my chores”, “I took out the trash”, “skip dishes today”.")


skill = Skill(
    name="chores",
    instances=frozenset({"home"}),
    # The home skills' last word (listed last): a short answer for requests that are not ours.
    tools=[
        chore_add,
        chore_assign,
        chore_done,
        chore_who,
        chore_due,
        chore_mine,
        chore_skip,
        chore_snooze,
        out_of_scope,
    ],
    phrasebook=FirstMatch(ChoresPhrasebook(), ScopePhrasebook()),
    summary=chores_summary,
)
