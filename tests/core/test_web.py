import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from alfred.models import Message


@pytest.mark.django_db
def test_healthz_reports_database_cache_and_migrations_healthy(client: Client):
    response = client.get("/healthz/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert any("Database" in name for name in body)
    assert any("Migrations" in name for name in body)


@pytest.mark.django_db
def test_admin_is_branded_per_instance_and_shows_the_message_log(client: Client, settings, member):
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)

    index = client.get("/admin/")
    log = client.get("/admin/alfred/message/?status=handled&path=rules")

    assert f"Alfred · {settings.INSTANCE.title()}" in index.content.decode()
    assert log.status_code == 200
    assert client.get("/admin/alfred/message/add/").status_code == 403


@pytest.mark.django_db
def test_the_message_log_is_read_only(client: Client, member):
    from alfred.members import conversation_for

    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)
    conversation = conversation_for(channel="console", external_id="c", member=member)
    message = Message.objects.create(
        direction="in", channel="console", conversation=conversation, text="<b>x</b>", status="handled"
    )

    page = client.get(f"/admin/alfred/message/{message.pk}/change/")
    client.post(f"/admin/alfred/message/{message.pk}/change/", {"text": "changed"})

    message.refresh_from_db()
    assert page.status_code == 200
    assert "&lt;b&gt;x&lt;/b&gt;" in page.content.decode()
    assert message.text == "<b>x</b>"
