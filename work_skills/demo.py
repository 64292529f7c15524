"""Demo data for ``manage.py seed_demo`` on the biz instance: the owner and three customers. Idempotent: a
company that exists is left as it is."""

from datetime import timedelta
from decimal import Decimal

from alfred.models import Member
from work_skills import selectors
from work_skills.models import Company, Stage
from work_skills.services.crm import company_get_or_create, contact_add, deal_create, note_add


def seed() -> None:
    owner, _created = Member.objects.update_or_create(name="Owner", defaults={"is_admin": True, "language": "en"})
    today = selectors.local_today(owner)
    # Acme closes this month whatever day the demo is seeded: the last day of the current month.
    _start, month_end = selectors.period_range("this_month", today=today)
    _start, next_month_end = selectors.period_range("next_month", today=today)
    if not Company.objects.filter(name__iexact="Acme Corp").exists():
        acme = company_get_or_create(name="Acme Corp", aliases="ACME, Acme Inc, Acme Corporation")
        contact_add(
            company=acme,
            name="Jane Roe",
            role="Head of Procurement",
            email="jane.roe@acme.example",
            phone="+34 600 100 200",
        )
        deal_create(
            company=acme,
            title="Acme platform licence",
            stage=Stage.NEGOTIATION,
            amount=Decimal("12000"),
            currency="EUR",
            expected_close=month_end,
            owner=owner,
            next_step="Send the revised contract to Jane",
        )
        note_add(company=acme, text="Jane asked for a 5% discount on a two-year term.", author=owner)
    if not Company.objects.filter(name__iexact="Globex").exists():
        globex = company_get_or_create(name="Globex", aliases="Globex Corporation")
        contact_add(company=globex, name="Hank Miller", role="CTO", email="hank.miller@globex.example")
        deal_create(
            company=globex,
            title="Globex support retainer",
            stage=Stage.PROPOSAL,
            amount=Decimal("8500"),
            currency="USD",
            expected_close=next_month_end,
            owner=owner,
            next_step="Hank reviews the proposal",
        )
    if not Company.objects.filter(name__iexact="Initech").exists():
        initech = company_get_or_create(name="Initech")
        deal_create(
            company=initech,
            title="Initech onboarding",
            stage=Stage.WON,
            amount=Decimal("4200"),
            currency="EUR",
            expected_close=today - timedelta(days=20),
            owner=owner,
        )
