"""Biz's optional WhatsApp number (README "Connect WhatsApp" → "Biz's optional number").

settings/biz.py decides at import whether biz installs channels_wa, from PHONE_ID / META_TOKEN /
META_APP_SECRET. This suite's own biz settings have none of them, so here biz has no WhatsApp; the number
switched on is exercised in processes started with the variables, as a deployment starts: the end-to-end
cases (``whatsapp_number.py``) in a pytest of their own, the refusals in ``manage.py``."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.channels_wa.conftest import URL
from tests.core.entry_points import ROOT, channel_credentials, configured_env, database_url, start
from tests.work_skills.whatsapp_number import BIZ_NUMBER_ENV

pytestmark = [pytest.mark.biz]

NUMBER_TESTS = Path(__file__).with_name("whatsapp_number.py")


def test_without_the_variables_biz_has_no_whatsapp_channel_and_no_webhook_route(client: Client):
    assert settings.ALFRED_CHANNEL_APPS == ["channels_slack"]
    assert "channels_wa" not in settings.INSTALLED_APPS
    assert client.get(URL, {"hub.mode": "subscribe", "hub.challenge": "1"}).status_code == 404
    assert client.post(URL, data=b"{}", content_type="application/json").status_code == 404


@pytest.mark.timeout(400)
def test_with_the_variables_biz_answers_on_its_own_number_with_work_skills_only():
    """Runs whatsapp_number.py under settings.biz imported with the number's variables, in a pytest of its own
    against a test database of its own (created and dropped by that run, beside this suite's)."""
    own_database = f"{settings.DATABASES['default']['NAME'].removeprefix('test_')}_wa"
    environment = {
        **os.environ,
        "INSTANCE": "biz",
        "DJANGO_SETTINGS_MODULE": "settings.biz",
        "DATABASE_URL": database_url(own_database),
        "REDIS_URL": settings.REDIS_URL,
        "TASKS_INLINE": "1",
        **channel_credentials(),
        **BIZ_NUMBER_ENV,
    }
    environment.pop("PYTEST_ADDOPTS", None)
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", str(NUMBER_TESTS.relative_to(ROOT))],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=360,
    )

    cases = NUMBER_TESTS.read_text().count("\ndef test_")
    assert completed.returncode == 0, completed.stdout[-6000:] + completed.stderr[-2000:]
    assert f"{cases} passed" in completed.stdout
    assert cases >= 8


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("given", "missing"),
    [
        ({"META_TOKEN": "EAAstray-token-value"}, ["PHONE_ID", "META_APP_SECRET", "META_VERIFY_TOKEN"]),
        ({"PHONE_ID": "108200300400501"}, ["META_TOKEN", "META_APP_SECRET", "META_VERIFY_TOKEN"]),
        (
            {"META_APP_SECRET": "stray-secret-value", "META_VERIFY_TOKEN": "stray-verify-value"},
            ["PHONE_ID", "META_TOKEN"],
        ),
    ],
)
def test_half_a_number_refuses_to_start_naming_what_is_missing_never_a_value(given, missing, tmp_path):
    completed = start("command", configured_env(**given), tmp=tmp_path)

    assert completed.returncode != 0
    output = completed.stdout + completed.stderr
    assert "Biz's WhatsApp number is half configured" in output
    assert f"but {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not" in output
    assert not [value for value in given.values() if value in output]


def test_half_a_number_is_refused_in_development_mode_too():
    """Embedded mode (no DATABASE_URL, `make chat`) tolerates missing secrets, but not half of biz's number."""
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "DATABASE_URL": "",
        "REDIS_URL": "",
        "INSTANCE": "biz",
        "DJANGO_SETTINGS_MODULE": "settings.biz",
        "PYTHONDONTWRITEBYTECODE": "1",
        "META_APP_SECRET": "stray-secret-value",
    }
    completed = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert completed.returncode != 0
    assert "META_APP_SECRET is set but PHONE_ID, META_TOKEN, META_VERIFY_TOKEN are not" in completed.stderr
    assert "stray-secret-value" not in completed.stderr


@pytest.mark.django_db(transaction=True)
def test_whatsapp_variables_that_do_not_switch_the_number_on_are_refused_as_the_other_instances(tmp_path):
    """Without PHONE_ID / META_TOKEN / META_APP_SECRET biz does not install channels_wa, so the rest of the
    channel's variables are home's, as before (alfred.E004, by name)."""
    completed = start(
        "command",
        configured_env(META_VERIFY_TOKEN="stray-verify-value", WHATSAPP_API_BASE="https://graph.facebook.com"),
        tmp=tmp_path,
    )

    assert completed.returncode == 1
    output = completed.stdout + completed.stderr
    for name in ("META_VERIFY_TOKEN", "WHATSAPP_API_BASE"):
        assert f"{name} is set, but it belongs to channels_wa, which the biz instance does not install" in output
    assert "stray-verify-value" not in output
