"""The CRM tools and the company matching behind them, on the biz demo data."""

from datetime import date
from decimal import Decimal

import pytest

from tests.work_skills.conftest import tool_call
from work_skills import selectors
from work_skills.models import Company, Deal, Note, Stage
from work_skills.phrasebook.crm import CrmPhrasebook
from work_skills.services.crm import company_get_or_create, deal_create

pytestmark = pytest.mark.biz


@pytest.mark.parametrize("said", ["acme", "ACME's deal", "the Acme deal", "Acme Inc", "acmee", "acme corporation"])
def test_a_company_is_found_loosely_by_name_alias_possessive_or_typo(demo, said):
    assert selectors.company_match(said).company == Company.objects.get(name="Acme Corp")


def test_two_close_companies_are_both_candidates_and_the_tool_asks_which_one(demo):
    company_get_or_create(name="Umbrella Health")
    company_get_or_create(name="Umbrella Logistics")

    found = selectors.company_match("umbrella")
    typo = selectors.company_match("umbrela")
    result = tool_call(demo, "crm_deal_status", company="umbrella")

    assert (
        [c.name for c in found.candidates]
        == [c.name for c in typo.candidates]
        == [
            "Umbrella Health",
            "Umbrella Logistics",
        ]
    )
    assert result.ok is False
    assert result.text == "Which one do you mean: Umbrella Health, Umbrella Logistics?"


def test_an_exact_name_or_alias_wins_over_companies_it_only_partly_names(demo):
    company_get_or_create(name="Acme Logistics")

    assert selectors.company_match("acme").company == Company.objects.get(name="Acme Corp")  # its alias "ACME"
    assert selectors.company_match("acme logistics").company == Company.objects.get(name="Acme Logistics")


def test_an_unknown_company_is_said_so_with_the_closest_name(demo):
    result = tool_call(demo, "crm_contact", company="Globexx Industries")
    spanish = tool_call(demo, "crm_contact", company="Initek Systems", language="es")

    assert result.text == "I don't know a company called “Globexx Industries”. The closest is Globex."
    assert spanish.text == "No conozco ninguna empresa llamada «Initek Systems». La más parecida es Initech."


def test_deal_status_gives_stage_amount_close_date_owner_next_step_and_latest_note(demo):
    result = tool_call(demo, "crm_deal_status", company="ACME")

    assert result.text.startswith("Acme Corp — Acme platform licence: negotiation, 12,000 EUR, closing ")
    assert "owner Owner. Next step: Send the revised contract to Jane." in result.text
    assert "Latest note" in result.text and "5% discount" in result.text


def test_deal_status_in_spanish_uses_spanish_words_and_number_format(demo):
    result = tool_call(demo, "crm_deal_status", company="acme", language="es")

    assert "negociación, 12\xa0000 EUR, cierre previsto el" in result.text


def test_deals_closing_this_month_lists_only_open_deals_in_the_month(demo):
    acme_deal = Deal.objects.get(company__name="Acme Corp")
    lost = deal_create(
        company=acme_deal.company, title="Lost add-on", stage=Stage.LOST, expected_close=acme_deal.expected_close
    )

    this_month = tool_call(demo, "crm_deals_closing", period="this_month")
    next_month = tool_call(demo, "crm_deals_closing", period="next_month")

    assert this_month.data["deals"] == [acme_deal.pk]
    assert lost.pk not in this_month.data["deals"]
    assert next_month.data["deals"] == [Deal.objects.get(company__name="Globex").pk]


@pytest.mark.parametrize(
    ("period", "today", "expected"),
    [
        ("this_month", date(2026, 12, 15), (date(2026, 12, 1), date(2026, 12, 31))),
        ("next_month", date(2026, 12, 15), (date(2027, 1, 1), date(2027, 1, 31))),
        ("this_quarter", date(2026, 11, 2), (date(2026, 10, 1), date(2026, 12, 31))),
        ("next_quarter", date(2026, 11, 2), (date(2027, 1, 1), date(2027, 3, 31))),
        ("this_week", date(2026, 12, 3), (date(2026, 11, 30), date(2026, 12, 6))),
        ("next_week", date(2026, 12, 3), (date(2026, 12, 7), date(2026, 12, 13))),
        ("this_year", date(2026, 5, 5), (date(2026, 1, 1), date(2026, 12, 31))),
    ],
)
def test_periods_are_calendar_ranges(period, today, expected):
    assert selectors.period_range(period, today=today) == expected


def test_contact_lists_the_people_at_the_company_with_their_details(demo):
    result = tool_call(demo, "crm_contact", company="globex")

    assert result.text == "Contacts at Globex:\n• Hank Miller — CTO — hank.miller@globex.example"


def test_a_note_is_written_on_the_company_and_its_one_open_deal_by_the_member(demo):
    result = tool_call(demo, "crm_note_add", company="acme", text="Jane will sign on Friday")

    note = Note.objects.get(text="Jane will sign on Friday")
    assert result.ok and result.text == "Noted on Acme platform licence: Jane will sign on Friday"
    assert (note.company.name, note.deal.title, note.author) == ("Acme Corp", "Acme platform licence", demo)


def test_a_note_for_a_company_without_an_open_deal_is_on_the_company_only(demo):
    tool_call(demo, "crm_note_add", company="initech", text="Asked about renewal")

    note = Note.objects.get(text="Asked about renewal")
    assert note.company.name == "Initech" and note.deal is None


def test_a_note_for_an_unknown_or_ambiguous_company_writes_nothing(demo):
    company_get_or_create(name="Umbrella Health")
    company_get_or_create(name="Umbrella Logistics")
    before = Note.objects.count()

    unknown = tool_call(demo, "crm_note_add", company="Zorg", text="hello")
    ambiguous = tool_call(demo, "crm_note_add", company="umbrella", text="hello")
    empty = tool_call(demo, "crm_note_add", company="Globex", text="   ")

    assert not unknown.ok and not ambiguous.ok and not empty.ok
    assert Note.objects.count() == before


def test_the_pipeline_totals_each_stage_per_currency_and_never_adds_currencies(demo):
    globex = Company.objects.get(name="Globex")
    deal_create(company=globex, title="Extra", stage=Stage.PROPOSAL, amount=Decimal("100.50"), currency="EUR")

    result = tool_call(demo, "crm_pipeline")

    assert result.text.splitlines() == [
        "Pipeline:",
        "• proposal: 2 deals, 100.50 EUR + 8,500 USD",
        "• negotiation: 1 deal, 12,000 EUR",
        "• won: 1 deal, 4,200 EUR",
        "Open: 12,100.50 EUR + 8,500 USD.",
    ]


def test_the_rules_pass_a_known_company_by_its_stored_name_and_leave_unknown_ones_alone(demo):
    rules = CrmPhrasebook()

    assert rules.match("how's acmee going?", "en")[0].args == {"company": "Acme Corp"}
    assert rules.match("how's the weather going?", "en") is None
    assert rules.match("status of the Zorg deal", "en")[0].args == {"company": "zorg"}


@pytest.mark.parametrize(
    "text",
    [
        "don't add a note to Acme: x",
        "if Acme calls, note for Acme: x",
        "note for Acme: are they signing?",
        "“note for Acme: x”",
        "note for acme: it",
        "note for acme: " + "x" * 2000,
    ],
)
def test_the_rules_never_propose_a_note_from_a_negation_a_hypothetical_a_question_or_a_quotation(demo, text):
    assert CrmPhrasebook().match(text, "en") is None
