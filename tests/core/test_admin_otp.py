"""The optional second factor: a staff user with an authenticator device gives its code with the password;
one without logs in with the password alone. Real login view, real django-otp devices and codes."""

from io import StringIO
from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"


@pytest.fixture
def staff():
    return get_user_model().objects.create_user("ana", password="right-password-1", is_staff=True, is_superuser=True)


def enrol(username: str) -> TOTPDevice:
    out = StringIO()
    call_command("admin_totp", username, stdout=out)
    device = TOTPDevice.objects.get(user__username=username)
    link = next(line for line in out.getvalue().splitlines() if line.startswith("otpauth://"))
    assert parse_qs(urlparse(link).query)["secret"], link
    return device


def code(device: TOTPDevice, *, drift: int = 0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=drift):06d}"


def log_in(client: Client, password: str = "right-password-1", token: str = ""):
    return client.post(LOGIN, {"username": "ana", "password": password, "otp_token": token, "next": "/admin/"})


def test_without_a_device_the_password_alone_logs_in(staff):
    client = Client()

    assert log_in(client).status_code == 302
    assert client.get("/admin/").status_code == 200


def test_with_a_device_the_password_alone_is_not_enough(staff):
    device = enrol("ana")
    client = Client()

    missing = log_in(client)
    wrong = log_in(client, token=f"{(int(code(device)) + 1) % 1_000_000:06d}")

    assert missing.status_code == 200 and "Please enter your" in missing.content.decode()
    assert wrong.status_code == 200 and "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


def test_with_a_device_the_password_and_its_code_log_in(staff):
    device = enrol("ana")
    client = Client()

    response = log_in(client, token=code(device))

    assert response.status_code == 302, response.content.decode()[:2000]
    assert client.get("/admin/").status_code == 200


def test_a_session_made_without_the_code_is_refused_by_the_admin(staff):
    # A session that did not go through the code (e.g. an older login from before the device) is sent back.
    enrol("ana")
    client = Client()
    client.force_login(staff)

    assert client.get("/admin/").status_code == 302


def test_the_admin_never_shows_a_devices_key(staff):
    device = enrol("ana")
    client = Client()
    log_in(client, token=code(device))

    pages = [client.get("/admin/otp_totp/totpdevice/").content.decode()]
    pages.append(client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/").content.decode())

    for page in pages:
        assert device.key not in page
    assert client.get(f"/admin/otp_totp/totpdevice/{device.pk}/config/").status_code == 403


def test_removing_the_device_goes_back_to_the_password_alone(staff):
    enrol("ana")
    call_command("admin_totp", "ana", "--remove", stdout=StringIO())

    assert log_in(Client()).status_code == 302
