"""Who may log in to the admin: staff only, and five wrong passwords lock the login (django-axes), per username
and per client address. Real requests through the middleware and the login view, on the real database."""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connections
from django.test import Client

from alfred.models import AuditEvent

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"


@pytest.fixture(autouse=True)
def _forget_lockout_events():
    """A lockout's audit event is written on a connection of its own (audit_record_now), so the test's rollback
    does not take it away: delete it the same way, or later tests would find it."""
    yield
    own = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with own.cursor() as cursor:
            cursor.execute("DELETE FROM alfred_auditevent WHERE action = 'admin.locked_out'")
        own.commit()
    finally:
        own.close()


@pytest.fixture
def staff() -> None:
    get_user_model().objects.create_user("ana", password="right-password-1", is_staff=True, is_superuser=True)
    get_user_model().objects.create_user("leo", password="right-password-2", is_staff=True, is_superuser=True)


def log_in(client: Client, username: str, password: str):
    return client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"})


def test_the_right_password_logs_in(staff):
    response = log_in(Client(), "ana", "right-password-1")

    assert response.status_code == 302 and response["Location"] == "/admin/"


def test_five_wrong_passwords_lock_the_username_even_from_another_address(staff):
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    answers = [log_in(attacker, "ana", f"guess-{n}").status_code for n in range(settings.AXES_FAILURE_LIMIT)]

    locked = log_in(attacker, "ana", "right-password-1")
    elsewhere = log_in(Client(REMOTE_ADDR="198.51.100.9"), "ana", "right-password-1")

    assert settings.AXES_FAILURE_LIMIT == 5
    # The wrong ones get the login form again; the one after them is refused even with the right password.
    assert answers[:4] == [200, 200, 200, 200] and answers[4] == 429
    assert locked.status_code == 429 and "Login locked" in locked.content.decode()
    assert f"Alfred · {settings.INSTANCE.title()}" in locked.content.decode()
    assert elsewhere.status_code == 429
    assert "_auth_user_id" not in attacker.session and AuditEvent.objects.filter(action="admin.locked_out").exists()


def test_five_wrong_passwords_from_one_address_lock_that_address_for_every_username(staff):
    attacker = Client(REMOTE_ADDR="203.0.113.8")
    for n in range(5):
        log_in(attacker, f"user{n}", "guess")

    assert log_in(attacker, "leo", "right-password-2").status_code == 429
    assert log_in(Client(REMOTE_ADDR="198.51.100.10"), "leo", "right-password-2").status_code == 302


def test_a_right_password_before_the_limit_starts_the_count_again(staff):
    client = Client(REMOTE_ADDR="203.0.113.9")
    for n in range(4):
        log_in(client, "ana", f"typo-{n}")
    assert log_in(client, "ana", "right-password-1").status_code == 302
    client.logout()

    for n in range(4):
        assert log_in(client, "ana", f"typo-again-{n}").status_code == 200
    assert log_in(client, "ana", "right-password-1").status_code == 302


def test_behind_a_proxy_the_configured_header_names_the_client_and_is_ignored_otherwise(staff, settings):
    # Through the proxy every request comes from the proxy's address.
    for n in range(5):
        log_in(Client(REMOTE_ADDR="10.0.0.1", HTTP_FLY_CLIENT_IP="203.0.113.20"), f"x{n}", "guess")

    # Without the setting the header is not trusted: the proxy's address is locked for everyone.
    assert (
        log_in(Client(REMOTE_ADDR="10.0.0.1", HTTP_FLY_CLIENT_IP="198.51.100.1"), "leo", "right-password-2").status_code
        == 429
    )

    settings.ALFRED_CLIENT_IP_HEADER = "Fly-Client-IP"
    for n in range(5):
        log_in(Client(REMOTE_ADDR="10.0.0.2", HTTP_FLY_CLIENT_IP="203.0.113.21"), f"y{n}", "guess")
    assert (
        log_in(Client(REMOTE_ADDR="10.0.0.2", HTTP_FLY_CLIENT_IP="198.51.100.2"), "leo", "right-password-2").status_code
        == 302
    )
    assert (
        log_in(Client(REMOTE_ADDR="10.0.0.2", HTTP_FLY_CLIENT_IP="203.0.113.21"), "leo", "right-password-2").status_code
        == 429
    )


def test_a_user_who_is_not_staff_cannot_get_in():
    get_user_model().objects.create_user("member-1", password="member-password")
    client = Client()

    response = log_in(client, "member-1", "member-password")

    assert response.status_code == 200 and "_auth_user_id" not in client.session
    client.force_login(get_user_model().objects.get(username="member-1"))
    assert client.get("/admin/").status_code == 302
    assert client.get("/admin/alfred/message/").status_code == 302
