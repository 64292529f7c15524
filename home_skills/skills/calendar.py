"""The calendar tools: "am I free on Saturday?" answered from the parent's busy blocks (README "Calendar
bridge"). Read-only: home only knows *when* the parent is busy, so a request to add, move or cancel an
event gets "I can only see when you're busy" and nothing is written."""

from datetime import datetime, timedelta

from django.utils import formats
from django.utils.translation import gettext as _

from alfred.registry import Skill, ToolContext, ToolResult, tool
from alfred.rules.when import Span, when_span
from home_skills.bridge import bridge_age, bridge_is_stale
from home_skills.models import CalendarBlock
from home_skills.phrasebook.calendar import CalendarPhrasebook
from home_skills.selectors import member_zone


def _hm(moment: datetime) -> str:
    return f"{moment:%H:%M}"


def _day(span: Span) -> str:
    return formats.date_format(span.day, "l")


def _span_words(span: Span) -> str:
    day = _day(span)
    if span.kind == "weekend":
        return _("this weekend") if (span.day - datetime.now(span.start.tzinfo).date()).days < 7 else _("next weekend")
    if span.kind == "week":
        return _("that week")
    if span.kind == "moment":
        return _("at %(time)s on %(day)s") % {"time": _hm(span.start), "day": day}
    if span.kind == "part":
        return _("on %(day)s %(from)s–%(to)s") % {"day": day, "from": _hm(span.start), "to": _hm(span.end)}
    return _("on %(day)s") % {"day": day}


def busy_in(span: Span) -> list[tuple[datetime, datetime, bool]]:
    """The busy spans touching ``span``, in its zone: clipped to it, except around a moment ("at 5pm"),
    where the whole block says until when."""
    zone = span.start.tzinfo
    rows = CalendarBlock.objects.filter(start__lt=span.end, end__gt=span.start).order_by("start")
    if span.kind == "moment":
        return [(row.start.astimezone(zone), row.end.astimezone(zone), row.all_day) for row in rows]
    return [
        (max(row.start, span.start).astimezone(zone), min(row.end, span.end).astimezone(zone), row.all_day)
        for row in rows
    ]


def _busy_text(busy: list[tuple[datetime, datetime, bool]], span: Span) -> str:
    """ "10:00–12:00, 15:00–16:00", with the day named when the span covers several days."""
    parts = []
    for start, end, all_day in busy:
        covers_day = all_day or (start.time() == end.time() == datetime.min.time() and end > start)
        if covers_day:
            text = _("all day")
        else:
            end_text = "24:00" if end.time() == datetime.min.time() and end.date() > start.date() else _hm(end)
            text = f"{_hm(start)}–{end_text}"
        if span.kind in ("weekend", "week"):
            text = f"{formats.date_format(start.date(), 'l')} {text}"
        parts.append(text)
    return ", ".join(parts)


def _free_text(busy: list[tuple[datetime, datetime, bool]], span: Span) -> str:
    gaps, cursor = [], span.start
    for start, end, _all_day in busy:
        if start > cursor:
            gaps.append((cursor, start))
        cursor = max(cursor, end)
    if cursor < span.end:
        gaps.append((cursor, span.end))
    words = []
    for start, end in gaps:
        if start == span.start and end == span.end:
            continue
        if start == span.start:
            words.append(_("before %(time)s") % {"time": _hm(end)})
        elif end == span.end:
            words.append(_("after %(time)s") % {"time": _hm(start)})
        else:
            words.append(f"{_hm(start)}–{_hm(end)}")
    return _(" and ").join(words)


def _freshness() -> str:
    age = bridge_age()
    if age is None:
        return ""
    if bridge_is_stale(age):
        return " " + _("(My copy of the calendar is %(days)s days old, so it may have changed.)") % {
            "days": max(2, int(age / timedelta(days=1)))
        }
    return ""


def _answer(ctx: ToolContext, when: str, *, question: str) -> ToolResult:
    now = datetime.now(member_zone(ctx.member))
    span = when_span(when, now=now)
    if span is None:
        return ToolResult(
            text=_("I did not understand when you mean. Try “Saturday”, “tomorrow afternoon” or “next week”."),
            ok=False,
        )
    if bridge_age() is None:
        return ToolResult(
            text=_("I don't have the work calendar yet: nothing has come from Alfred-Biz."),
            ok=False,
            data={"when": when},
        )
    busy = busy_in(span)
    data = {
        "start": span.start.isoformat(),
        "end": span.end.isoformat(),
        "busy": [{"start": s.isoformat(), "end": e.isoformat(), "all_day": a} for s, e, a in busy],
    }
    words = _span_words(span)
    if not busy:
        text = _("Yes — you're free %(when)s.") if question == "free" else _("Nothing %(when)s: you're free.")
        return ToolResult(text=text % {"when": words} + _freshness(), data=data)
    free = _free_text(busy, span)
    values = {"busy": _busy_text(busy, span), "when": words, "free": free}
    if question == "free" and span.kind == "moment":
        text = _("No — you have work things %(busy)s.") % values
    elif span.kind in ("weekend", "week"):
        text = _("You have work things %(when)s: %(busy)s; otherwise you're free.") % values
    elif not free and question == "free":
        text = _("No — you have work things %(busy)s %(when)s.") % values
    elif not free:
        text = _("You have work things %(busy)s %(when)s.") % values
    else:
        text = _("You have work things %(busy)s %(when)s; free %(free)s.") % values
    return ToolResult(text=text + _freshness(), data=data)


@tool()
def calendar_free(ctx: ToolContext, *, when: str) -> ToolResult:
    """Whether the parent is free at a time, from their work calendar's busy blocks (read-only: nothing can
    be added, moved or cancelled). ``when`` as the user said it, English or Spanish: "Saturday", "tomorrow
    afternoon", "this weekend", "next week", "at 5pm on Friday", "el sábado", "mañana por la tarde"."""
    return _answer(ctx, when, question="free")


@tool()
def calendar_busy(ctx: ToolContext, *, when: str) -> ToolResult:
    """When the parent is busy at a time ("what do I have on Saturday?"), from their work calendar's busy
    blocks — only when, never what. ``when`` as in ``calendar_free``."""
    return _answer(ctx, when, question="busy")


def calendar_summary() -> str:
    return _("Calendar (read-only): “am I free on Saturday?”, “¿estoy libre mañana por la tarde?”.")


skill = Skill(
    name="calendar",
    instances=frozenset({"home"}),
    tools=[calendar_free, calendar_busy],
    phrasebook=CalendarPhrasebook(),
    summary=calendar_summary,
)
