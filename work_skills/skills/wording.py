"""What the CRM tools say, in the active language: amounts, dates, deals and "which company?" answers."""

from datetime import date
from decimal import Decimal

from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from alfred.content import Fact
from work_skills import selectors
from work_skills.models import Company, Deal, Stage
from work_skills.services import Rejected
from work_skills.services.crm import MAX_NOTE_CHARS


def money_text(amount: Decimal | None, currency: str) -> str:
    """ "12,000 EUR" (Spanish: "12 000 EUR"); cents only when there are any."""
    if amount is None:
        return _("no amount")
    places = 0 if amount == amount.to_integral_value() else 2
    return f"{number_format(amount, decimal_pos=places, use_l10n=True, force_grouping=True)} {currency}"


def amounts_text(amounts: dict[str, Decimal]) -> str:
    return " + ".join(money_text(amount, currency) for currency, amount in sorted(amounts.items())) or "—"


def date_text(day: date) -> str:
    return date_format(day, "j M Y")


def stage_text(stage: str) -> str:
    return str(Stage(stage).label)


def deal_text(deal: Deal, *, today: date) -> str:
    """One deal on one line: title, stage, amount, close date, owner, next step."""
    parts = [f"{deal.title}: {stage_text(deal.stage)}", money_text(deal.amount, deal.currency)]
    if deal.expected_close is not None:
        late = deal.is_open and deal.expected_close < today
        key = _("was due to close %(date)s") if late else _("closing %(date)s")
        if not deal.is_open:
            key = _("closed %(date)s")
        parts.append(key % {"date": date_text(deal.expected_close)})
    if deal.owner is not None:
        parts.append(_("owner %(name)s") % {"name": deal.owner.name})
    text = ", ".join(parts) + "."
    if deal.next_step and deal.is_open:
        text += " " + _("Next step: %(step)s.") % {"step": deal.next_step}
    return text


def deal_card(deal: Deal) -> tuple[Fact, ...]:
    """A deal as labelled facts, for channels that show cards (Slack: Block Kit fields)."""
    facts = [Fact(_("Stage"), stage_text(deal.stage)), Fact(_("Amount"), money_text(deal.amount, deal.currency))]
    if deal.expected_close is not None:
        facts.append(Fact(_("Close date"), date_text(deal.expected_close)))
    if deal.next_step and deal.is_open:
        facts.append(Fact(_("Next step"), deal.next_step))
    return tuple(facts)


def names_text(companies: list[Company]) -> str:
    return ", ".join(company.name for company in companies)


def unresolved_text(reference: str, found: selectors.CompanyMatch) -> str:
    """Two candidates → which one; none → say so, with the closest name when there is one."""
    if found.candidates:
        return _("Which one do you mean: %(companies)s?") % {"companies": names_text(found.candidates)}
    if found.closest is not None:
        return _("I don't know a company called “%(name)s”. The closest is %(closest)s.") % {
            "name": reference,
            "closest": found.closest.name,
        }
    return _("I don't know a company called “%(name)s”.") % {"name": reference}


def rejection_text(problem: Rejected) -> str:
    if problem.code == "note_empty":
        return _("The note is empty. Nothing was saved.")
    if problem.code == "note_long":
        return _("That note is too long (at most %(limit)s characters). Nothing was saved.") % {"limit": MAX_NOTE_CHARS}
    return _("I could not do that. Nothing was saved.")
