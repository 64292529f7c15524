"""The admin as each instance shows it: its name and colour, the index grouped by skill, the dashboard (and the
registry skills add cards through), and secrets never on a page. Runs under both instances."""

import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from alfred import dashboard
from alfred.admin_site import INSTANCE_COLOURS
from alfred.models import Credential, Direction, LLMCompletion, Message, Status
from tests.helpers import member_on

pytestmark = pytest.mark.django_db

HOME_SECTIONS = ["Shopping lists", "Chores"]
BIZ_SECTIONS = ["CRM", "Work inbox"]
CORE_SECTIONS = ["People and access", "Messages", "LLM usage", "Security and audit"]


@pytest.fixture
def root(client: Client) -> Client:
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "pw"))
    return client


def card_values(page: str) -> dict[str, str]:
    pattern = r'<h3>(?:<a href="[^"]*">)?([^<]+)(?:</a>)?</h3>\s*<p class="alfred-value">([^<]+)</p>'
    return dict(re.findall(pattern, page))


def section_names(page: str) -> list[str]:
    return re.findall(r'<a href="/admin/section/[^"]+/" class="section"[^>]*>([^<]+)</a>', page)


def test_every_page_carries_the_instances_name_and_colour(root):
    other = "biz" if settings.INSTANCE == "home" else "home"
    mine, theirs = INSTANCE_COLOURS[settings.INSTANCE], INSTANCE_COLOURS[other]

    for url in ["/admin/", "/admin/alfred/message/", "/admin/login/"]:
        page = (root if url != "/admin/login/" else Client()).get(url).content.decode()
        assert f"Alfred · {settings.INSTANCE.title()}" in page, url
        assert f"--alfred-band: {mine['band']}" in page, url
        assert theirs["band"] not in page, url


def test_the_index_groups_models_by_skill_then_the_cores_sections(root):
    page = root.get("/admin/").content.decode()

    skills = HOME_SECTIONS if settings.INSTANCE == "home" else BIZ_SECTIONS
    assert section_names(page) == [*skills, *CORE_SECTIONS]
    # Each section has its own page, as an app has in Django.
    section = root.get("/admin/section/messages/").content.decode()
    assert "Message" in section and "Conversations" in section
    assert root.get("/admin/section/nothing-here/").status_code == 404


def test_the_other_instances_models_are_nowhere_in_the_admin(root):
    page = root.get("/admin/").content.decode()
    if settings.INSTANCE == "home":
        present, absent = ["/admin/home_skills/item/", "/admin/home_skills/chore/"], ["work_skills", "Deals"]
    else:
        present, absent = ["/admin/work_skills/deal/", "/admin/work_skills/note/"], ["home_skills", "Chores"]
    for url in present:
        assert url in page
    for word in absent:
        assert word not in page
    other_url = "/admin/work_skills/deal/" if settings.INSTANCE == "home" else "/admin/home_skills/item/"
    assert root.get(other_url).status_code == 404


def test_the_dashboard_counts_messages_failures_and_llm_tokens_of_today(root, member):
    conversation_message = member_on("console", "console:dash", name="Dash")
    from alfred.members import conversation_for

    conversation = conversation_for(channel="console", external_id="console:dash", member=conversation_message)
    for n, status in enumerate([Status.HANDLED, Status.HANDLED, Status.FAILED]):
        Message.objects.create(
            direction=Direction.INBOUND,
            channel="console",
            provider_message_id=f"d{n}",
            conversation=conversation,
            text="x",
            status=status,
        )
    old = Message.objects.create(
        direction=Direction.INBOUND,
        channel="console",
        provider_message_id="old",
        conversation=conversation,
        text="x",
        status=Status.FAILED,
    )
    Message.objects.filter(pk=old.pk).update(created_at=timezone.now() - timezone.timedelta(hours=25))
    LLMCompletion.objects.create(model="m", prompt_tokens=1000, completion_tokens=234, cost=Decimal("0.0125"))

    page = root.get("/admin/").content.decode()
    cards = card_values(page)

    assert cards["Messages, last 24 hours"] == "3"
    assert "1 failed" in page
    assert cards["LLM today"] == "1,234 tokens"
    assert "cost 0.0125" in page
    assert cards["Calendar bridge"] == "not configured"


def test_a_skill_card_replaces_a_cores_card_and_a_failing_card_does_not_break_the_index(root, member):
    saved = dashboard.registered()
    try:

        @dashboard.card("calendar_bridge", order=80)
        def bridge(request):
            return dashboard.Card(title="Calendar bridge", value="5 hours old")

        @dashboard.card("broken", order=1)
        def broken(request):
            raise RuntimeError("boom")

        page = root.get("/admin/").content.decode()
    finally:
        dashboard._cards.clear()
        dashboard._cards.update(saved)

    cards = card_values(page)
    assert cards["Calendar bridge"] == "5 hours old"
    assert cards["Broken"] == "unavailable"


def test_a_card_is_hidden_from_staff_without_its_permission(client, member):
    from django.contrib.auth.models import Permission

    staff = get_user_model().objects.create_user("clerk", password="pw", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_message"))
    client.force_login(staff)

    page = client.get("/admin/").content.decode()

    assert "Messages, last 24 hours" in page
    assert "LLM today" not in page


def test_credentials_show_age_and_expiry_never_the_token(root):
    # The columns hold ciphertext; whatever they hold must not reach a page (list, change form).
    row = Credential.objects.create(
        provider="meta",
        token_encrypted="gAAAAA-token-ciphertext-never-on-a-page",
        refresh_encrypted="gAAAAA-refresh-ciphertext-never-on-a-page",
        expires_at=timezone.now() + timezone.timedelta(days=30),
    )

    pages = [
        root.get("/admin/alfred/credential/").content.decode(),
        root.get(f"/admin/alfred/credential/{row.pk}/change/").content.decode(),
    ]

    for page in pages:
        assert "never-on-a-page" not in page
    assert '<td class="field-age">0\xa0minutes</td>' in pages[0]
    assert '<td class="field-expires_in">4\xa0weeks, 1\xa0day</td>' in pages[0]
