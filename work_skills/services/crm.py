"""Companies, contacts, deals and notes: the writes."""

from datetime import date
from decimal import Decimal

from django.db.models.functions import Lower

from alfred.models import Member
from work_skills.models import OPEN_STAGES, Company, Contact, Deal, Note, Stage
from work_skills.services import Rejected

MAX_NOTE_CHARS = 4000


def company_get_or_create(*, name: str, aliases: str = "") -> Company:
    """The company of that name (case ignored), created when new; aliases are set only on creation."""
    clean = " ".join(name.split())
    if not clean:
        raise Rejected("company_empty")
    found = Company.objects.annotate(lower=Lower("name")).filter(lower=clean.lower()).first()
    return found or Company.objects.create(name=clean, aliases=aliases)


def contact_add(*, company: Company, name: str, role: str = "", email: str = "", phone: str = "") -> Contact:
    contact, _created = Contact.objects.get_or_create(
        company=company, name=" ".join(name.split()), defaults={"role": role, "email": email, "phone": phone}
    )
    return contact


def deal_create(
    *,
    company: Company,
    title: str,
    stage: Stage = Stage.LEAD,
    amount: Decimal | None = None,
    currency: str = "EUR",
    expected_close: date | None = None,
    owner: Member | None = None,
    next_step: str = "",
) -> Deal:
    if amount is not None and amount < 0:
        raise Rejected("amount", amount=amount)
    return Deal.objects.create(
        company=company,
        title=title.strip(),
        stage=stage,
        amount=amount,
        currency=currency,
        expected_close=expected_close,
        owner=owner,
        next_step=next_step,
    )


def note_add(*, company: Company, text: str, author: Member | None, deal: Deal | None = None) -> Note:
    """Write a note on a company. Without ``deal``, a company with exactly one open deal gets it on that deal
    too (that is what a note about a customer in the middle of a sale is about)."""
    clean = text.strip()
    if not clean:
        raise Rejected("note_empty")
    if len(clean) > MAX_NOTE_CHARS:
        raise Rejected("note_long", limit=MAX_NOTE_CHARS)
    if deal is not None and deal.company_id != company.pk:
        raise Rejected("note_deal")
    if deal is None:
        open_deals = list(company.deals.filter(stage__in=OPEN_STAGES)[:2])
        deal = open_deals[0] if len(open_deals) == 1 else None
    return Note.objects.create(company=company, deal=deal, author=author, text=clean)
