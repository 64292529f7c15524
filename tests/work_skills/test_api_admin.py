"""The CRM API under /api/ (token auth, as a member) and the admin pages, filters and search."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from alfred.api_tokens import api_token_create
from alfred.models import Member
from work_skills.models import Deal, Note

pytestmark = pytest.mark.biz


def client_for(member: Member) -> APIClient:
    member.user = get_user_model().objects.create_user(f"member-{member.pk}")
    member.save()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=member.user)}")
    return client


@pytest.mark.parametrize("url", ["/api/companies/", "/api/contacts/", "/api/deals/", "/api/notes/", "/api/pipeline/"])
def test_without_a_token_the_crm_api_answers_401(demo, url):
    assert APIClient().get(url).status_code == 401


def test_deals_filter_by_stage_company_and_closing_period(demo):
    api = client_for(demo)

    negotiation = api.get("/api/deals/", {"stage": "negotiation"}).json()
    globex = api.get("/api/deals/", {"company": "globx"}).json()
    closing = api.get("/api/deals/", {"closing": "this_month"}).json()
    wrong = api.get("/api/deals/", {"closing": "someday"})

    assert [(d["company"], d["amount"], d["currency"]) for d in negotiation] == [("Acme Corp", "12000.00", "EUR")]
    assert [d["title"] for d in globex] == ["Globex support retainer"]
    assert [d["company"] for d in closing] == ["Acme Corp"]
    assert wrong.status_code == 400


def test_a_note_added_through_the_api_is_the_members_and_an_unknown_company_is_400(demo):
    api = client_for(demo)

    added = api.post("/api/notes/", {"company": "ACME", "text": "Sent the contract"}, format="json")
    unknown = api.post("/api/notes/", {"company": "Zorg", "text": "x"}, format="json")

    assert added.status_code == 201
    assert (added.json()["company"], added.json()["deal"], added.json()["author"]) == (
        "Acme Corp",
        "Acme platform licence",
        "Owner",
    )
    assert unknown.status_code == 400 and unknown.json()["closest"]
    assert Note.objects.filter(text="x").count() == 0


def test_the_pipeline_endpoint_and_the_schema_list_the_crm(demo):
    api = client_for(demo)

    pipeline = api.get("/api/pipeline/").json()
    schema = api.get("/api/schema/")

    assert {row["stage"]: row["deals"] for row in pipeline} == {"proposal": 1, "negotiation": 1, "won": 1}
    assert schema.status_code == 200
    assert b"/api/deals/" in schema.content and b"/api/notes/" in schema.content


@pytest.fixture
def admin_client(demo, client: Client) -> Client:
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "pw"))
    return client


def test_every_crm_admin_page_opens_with_its_filters_and_search(admin_client):
    deal = Deal.objects.get(company__name="Acme Corp")
    month = deal.expected_close.strftime("%Y-%m")
    urls = [
        "/admin/work_skills/company/?q=acme",
        f"/admin/work_skills/company/{deal.company_id}/change/",
        "/admin/work_skills/contact/?q=jane",
        "/admin/work_skills/deal/?stage__exact=negotiation",
        f"/admin/work_skills/deal/?close_month={month}",
        f"/admin/work_skills/deal/{deal.pk}/change/",
        "/admin/work_skills/note/?q=discount",
    ]
    for url in urls:
        assert admin_client.get(url).status_code == 200, url

    filtered = admin_client.get(f"/admin/work_skills/deal/?close_month={month}")
    assert "Acme platform licence" in filtered.content.decode()
    assert "Globex support retainer" not in filtered.content.decode()


def test_a_note_with_markup_is_shown_as_text_in_the_admin(admin_client):
    deal = Deal.objects.get(company__name="Acme Corp")
    Note.objects.create(company=deal.company, text="<script>alert('x')</script>")

    page = admin_client.get("/admin/work_skills/note/").content.decode()

    assert "<script>alert" not in page and "&lt;script&gt;" in page


def test_the_dashboard_shows_the_deals_closing_this_month(admin_client):
    import re

    page = admin_client.get("/admin/").content.decode()
    cards = dict(
        re.findall(r'<h3>(?:<a href="[^"]*">)?([^<]+)(?:</a>)?</h3>\s*<p class="alfred-value">([^<]+)</p>', page)
    )

    # The demo has one open deal closing at the end of this month (Acme's, 12,000 EUR); the others close next
    # month or are won.
    assert cards["Deals closing this month"] == "1"
    assert "12,000 EUR" in page and "Acme Corp — Acme platform licence" in page
    assert "Chores" not in page and "Open list items" not in page


def test_a_note_added_on_a_deals_page_is_on_its_company_too(admin_client, demo):
    deal = Deal.objects.get(title="Acme platform licence")
    demo.user = get_user_model().objects.get(username="root")
    demo.save()
    page = admin_client.get(f"/admin/work_skills/deal/{deal.pk}/change/")
    form = page.context["adminform"].form
    data = {name: ("" if value is None else value) for name, value in form.initial.items()}
    data.update(
        {
            "company": deal.company_id,
            "expected_close": deal.expected_close.isoformat(),
            "amount": str(deal.amount),
            "owner": deal.owner_id or "",
            "notes-TOTAL_FORMS": "1",
            "notes-INITIAL_FORMS": "0",
            "notes-0-text": "Called, they want a discount",
            "notes-0-created_at_0": "2026-12-01",
            "notes-0-created_at_1": "10:00:00",
        }
    )
    response = admin_client.post(f"/admin/work_skills/deal/{deal.pk}/change/", data)

    assert response.status_code == 302, response.context["errors"] if response.context else response
    note = Note.objects.get(text="Called, they want a discount")
    assert (note.deal_id, note.company_id, note.author) == (deal.pk, deal.company_id, demo)


def test_mark_won_moves_the_deal_and_is_logged(admin_client):
    from django.contrib.admin.models import LogEntry

    deal = Deal.objects.get(title="Acme platform licence")
    admin_client.post("/admin/work_skills/deal/", {"action": "mark_won", "_selected_action": [deal.pk]})

    deal.refresh_from_db()
    assert deal.stage == "won"
    assert LogEntry.objects.filter(object_id=str(deal.pk), change_message__contains="stage").exists()
