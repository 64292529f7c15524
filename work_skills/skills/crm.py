"""The CRM tools: deal status, deals closing in a period, contacts, notes and the pipeline."""

from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from alfred.registry import Skill, ToolContext, ToolResult, tool
from work_skills import selectors
from work_skills.models import OPEN_STAGES, Company
from work_skills.phrasebook.crm import CrmPhrasebook
from work_skills.selectors import Period
from work_skills.services import Rejected
from work_skills.services.crm import note_add
from work_skills.skills.wording import (
    amounts_text,
    date_text,
    deal_card,
    deal_text,
    rejection_text,
    stage_text,
    unresolved_text,
)


def _company_or_reply(reference: str) -> Company | ToolResult:
    found = selectors.company_match(reference)
    if found.company is not None:
        return found.company
    return ToolResult(
        text=unresolved_text(reference, found),
        data={
            "candidates": [c.name for c in found.candidates],
            "closest": found.closest.name if found.closest else None,
        },
        ok=False,
    )


@tool()
def crm_deal_status(ctx: ToolContext, *, company: str) -> ToolResult:
    """Say where the deals with a company stand: stage, amount, expected close date, owner, next step and the
    latest note ("what's the status of the Acme deal?"). ``company`` is the name as the user wrote it; typos
    and aliases are fine."""
    found = _company_or_reply(company)
    if isinstance(found, ToolResult):
        return found
    today = selectors.local_today(ctx.member)
    deals = selectors.deals_of(found)
    if not deals:
        return ToolResult(text=_("%(company)s has no deals yet.") % {"company": found.name})
    lines = [f"{found.name} — {deal_text(deals[0], today=today)}"] if len(deals) == 1 else [f"{found.name}:"]
    if len(deals) > 1:
        lines += [f"• {deal_text(deal, today=today)}" for deal in deals]
    note = selectors.note_latest(found)
    if note is not None:
        lines.append(
            _("Latest note (%(date)s): %(text)s")
            % {"date": date_text(selectors.local_today(ctx.member, now=note.created_at)), "text": note.text}
        )
    return ToolResult(
        text="\n".join(lines),
        data={"company": found.name, "deals": [{"title": d.title, "stage": d.stage} for d in deals]},
        # One deal is shown as a card where the channel can; several stay a list.
        facts=deal_card(deals[0]) if len(deals) == 1 else (),
    )


@tool()
def crm_deals_closing(ctx: ToolContext, *, period: Period = "this_month") -> ToolResult:
    """List the open deals expected to close in a period ("which deals close this month?", "what's closing
    next quarter?"): this_week, next_week, this_month, next_month, this_quarter, next_quarter or this_year."""
    today = selectors.local_today(ctx.member)
    start, end = selectors.period_range(period, today=today)
    deals = selectors.deals_closing(start=start, end=end)
    span = {"start": date_text(start), "end": date_text(end)}
    if not deals:
        return ToolResult(text=_("No open deals are expected to close between %(start)s and %(end)s.") % span)
    lines = [
        ngettext(
            "%(count)s deal expected to close between %(start)s and %(end)s:",
            "%(count)s deals expected to close between %(start)s and %(end)s:",
            len(deals),
        )
        % {"count": len(deals), **span}
    ]
    lines += [f"• {deal.company.name} — {deal_text(deal, today=today)}" for deal in deals]
    return ToolResult(
        text="\n".join(lines), data={"deals": [deal.pk for deal in deals], "start": str(start), "end": str(end)}
    )


@tool()
def crm_contact(ctx: ToolContext, *, company: str) -> ToolResult:
    """Give the people we deal with at a company, with role, email and phone ("who's our contact at
    Globex?"). ``company`` is the name as the user wrote it."""
    found = _company_or_reply(company)
    if isinstance(found, ToolResult):
        return found
    contacts = selectors.contacts_of(found)
    if not contacts:
        return ToolResult(text=_("I have no contacts at %(company)s yet.") % {"company": found.name})
    lines = [_("Contacts at %(company)s:") % {"company": found.name}]
    for contact in contacts:
        details = [contact.role, contact.email, contact.phone]
        lines.append(" — ".join([f"• {contact.name}", *[d for d in details if d]]))
    return ToolResult(text="\n".join(lines), data={"contacts": [c.name for c in contacts]})


@tool()
def crm_note_add(ctx: ToolContext, *, company: str, text: str) -> ToolResult:
    """Write a note on a company (and on its open deal when it has exactly one): "note for Acme: Jane wants
    the contract by Friday". Only when the user asks for a note to be written, never from a question or a
    hypothetical. ``text`` is the note itself, as the user wrote it."""
    found = _company_or_reply(company)
    if isinstance(found, ToolResult):
        return found
    try:
        note = note_add(company=found, text=text, author=ctx.member)
    except Rejected as problem:
        return ToolResult(text=rejection_text(problem), ok=False)
    where = note.deal.title if note.deal is not None else found.name
    return ToolResult(
        text=_("Noted on %(where)s: %(text)s") % {"where": where, "text": note.text},
        data={"note": note.pk, "company": found.name},
        acknowledge=True,
    )


@tool()
def crm_pipeline(ctx: ToolContext) -> ToolResult:
    """Show the pipeline: per stage, how many deals and their total per currency ("how's the pipeline?")."""
    totals = selectors.pipeline_totals()
    if not totals:
        return ToolResult(text=_("The pipeline is empty: no deals yet."))
    lines = [_("Pipeline:")]
    for row in totals:
        count = ngettext("%(count)s deal", "%(count)s deals", row.deals) % {"count": row.deals}
        lines.append(f"• {stage_text(row.stage)}: {count}, {amounts_text(row.amounts)}")
    open_amounts: dict[str, Decimal] = {}
    for row in totals:
        if row.stage in OPEN_STAGES:
            for currency, amount in row.amounts.items():
                open_amounts[currency] = open_amounts.get(currency, Decimal(0)) + amount
    lines.append(_("Open: %(amounts)s.") % {"amounts": amounts_text(open_amounts)})
    return ToolResult(
        text="\n".join(lines),
        data={
            "stages": {
                row.stage.value: {"deals": row.deals, **{k: str(v) for k, v in row.amounts.items()}} for row in totals
            }
        },
    )


def crm_summary() -> str:
    return _(
        "CRM: “status of the Acme deal”, “deals closing this month”, “contact at Globex”, “note for Acme: …”, "
        "“pipeline”."
    )


skill = Skill(
    name="crm",
    instances=frozenset({"biz"}),
    tools=[crm_deal_status, crm_deals_closing, crm_contact, crm_note_add, crm_pipeline],
    phrasebook=CrmPhrasebook(),
    summary=crm_summary,
)
