"""The API under /api/: token auth, lists, items (add, check off), chores (list, complete), schema."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from alfred.api_tokens import api_token_create
from alfred.models import Member
from home_skills.models import Chore, Item, ItemState

pytestmark = pytest.mark.home

SCRIPT = "<script>alert('x')</script>"


def client_for(member: Member) -> APIClient:
    member.user = get_user_model().objects.create_user(f"member-{member.pk}")
    member.save()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=member.user)}")
    return client


@pytest.mark.parametrize("url", ["/api/lists/", "/api/items/", "/api/chores/"])
def test_without_a_token_the_api_answers_401(family, url):
    response = APIClient().get(url)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_wrong_token_is_401_and_a_login_without_a_member_is_403(family):
    stranger = get_user_model().objects.create_user("stranger")
    wrong, memberless = APIClient(), APIClient()
    wrong.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    memberless.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=stranger)}")

    assert wrong.get("/api/lists/").status_code == 401
    assert memberless.get("/api/lists/").status_code == 403


def test_items_are_added_merged_listed_and_checked_off_as_the_tokens_member(family):
    leo = client_for(family["Leo"])

    first = leo.post("/api/items/", {"name": "Bananas", "quantity": "2"}, format="json")
    second = leo.post("/api/items/", {"name": "banana"}, format="json")
    pharmacy = leo.post("/api/items/", {"name": "plasters", "list": "farmacia"}, format="json")
    listed = leo.get("/api/items/", {"list": "groceries"}).json()
    bought = leo.post(f"/api/items/{first.json()['id']}/bought/")
    lists = {row["name"]: row["to_buy"] for row in leo.get("/api/lists/").json()}

    assert first.status_code == second.status_code == pharmacy.status_code == 201
    assert second.json()["id"] == first.json()["id"] and second.json()["quantity"] == "3.000"
    assert pharmacy.json()["list"] == "pharmacy"
    assert [(row["name"], row["aisle"], row["added_by"]) for row in listed] == [("Bananas", "Fruit & veg", "Leo")]
    assert bought.status_code == 200 and bought.json()["state"] == "bought" and bought.json()["bought_by"] == "Leo"
    assert lists == {"groceries": 0, "pharmacy": 1}


@pytest.mark.parametrize(
    "payload",
    [
        {"name": "milk", "quantity": "0"},
        {"name": "milk", "quantity": "-1"},
        {"name": "milk", "quantity": "1000000000"},
        {"name": ""},
        {"name": "milk", "unit": "furlong"},
        {"name": "x" * 1001},
    ],
)
def test_bad_items_are_refused_with_400_and_nothing_is_stored(family, payload):
    response = client_for(family["Ana"]).post("/api/items/", payload, format="json")

    assert response.status_code == 400
    assert not Item.objects.exists()


def test_item_names_come_back_as_text_in_json_and_escaped_in_the_browsable_api(family):
    ana = client_for(family["Ana"])
    ana.post("/api/items/", {"name": SCRIPT}, format="json")

    data = ana.get("/api/items/").json()
    page = ana.get("/api/items/", HTTP_ACCEPT="text/html").content.decode()

    assert data[0]["name"] == SCRIPT
    assert SCRIPT not in page and "&lt;script&gt;" in page


def test_chores_are_listed_and_completed_as_the_tokens_member(family):
    maria = client_for(family["Maria"])
    dishes = Chore.objects.get(title="dishes")

    chores = {row["title"]: row for row in maria.get("/api/chores/").json()}
    done = maria.post(f"/api/chores/{dishes.pk}/complete/")

    assert chores["dishes"]["assignees"] == ["Leo", "Maria"] and chores["dishes"]["current_assignee"] == "Leo"
    assert done.status_code == 200
    assert done.json()["completed"] and done.json()["next_assignee"] == "Maria"
    assert dishes.completions.get().member == family["Maria"]
    assert Item.objects.filter(state=ItemState.OPEN).count() == 0


def test_the_openapi_schema_is_served_and_describes_the_home_api(family):
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = response.json()
    assert {"/api/lists/", "/api/items/", "/api/items/{id}/bought/", "/api/chores/{id}/complete/"} <= set(
        schema["paths"]
    )
    assert "tokenAuth" in schema["components"]["securitySchemes"]
