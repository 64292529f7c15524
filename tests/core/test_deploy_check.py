"""HTTPS settings of a deployment (``ALFRED_HTTPS=1``, set in fly/*.toml): Django's deployment checklist passes
for this instance, and the processes started that way redirect plain HTTP, send HSTS and Secure cookies, and
still answer Fly's plain-HTTP health check. Run in subprocesses with a production-like environment, since the
settings are read once at start. The suite runs once per instance, so both instances are covered."""

import json
import secrets
import subprocess
import sys
import tomllib

import pytest
from django.conf import settings

from tests.core.entry_points import ROOT, configured_env

pytestmark = pytest.mark.django_db(transaction=True)


def fly_env() -> dict[str, str]:
    return tomllib.loads((ROOT / "fly" / f"alfred-{settings.INSTANCE}.toml").read_text())["env"]


def production_env(**changes: str | None) -> dict[str, str]:
    """This instance's environment on Fly: the fly file's [env], secrets of the right shape, and ``changes``."""
    deployment: dict[str, str | None] = {
        **fly_env(),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": f"alfred-{settings.INSTANCE}-eu.fly.dev,testserver",
        # Archives in a bucket, as a deployment keeps them (alfred.W101 otherwise).
        "ALFRED_AUDIT_BUCKET": "alfred-audit-test",
    }
    return configured_env(**{**deployment, **changes})


def deploy_check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_fly_file_switches_https_on():
    assert fly_env()["ALFRED_HTTPS"] == "1"


def test_check_deploy_passes_with_the_production_settings():
    result = deploy_check(production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_without_https_on_check_deploy_names_what_is_missing():
    """The control: the same environment without ``ALFRED_HTTPS`` fails the checklist."""
    result = deploy_check(production_env(ALFRED_HTTPS=None))

    assert result.returncode != 0
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in result.stderr + result.stdout


PROBE = """
import json, django
django.setup()
from django.test import Client
client = Client()
plain_health = client.get("/healthz/")
plain_admin = client.get("/admin/login/")
secure_admin = client.get("/admin/login/", headers={"X-Forwarded-Proto": "https"})
print(json.dumps({
    "health": plain_health.status_code,
    "admin": [plain_admin.status_code, plain_admin.headers.get("Location", "")],
    "secure": secure_admin.status_code,
    "hsts": secure_admin.headers.get("Strict-Transport-Security", ""),
    "cookies": {name: bool(morsel["secure"]) for name, morsel in secure_admin.cookies.items()},
}))
"""


def probe(env: dict[str, str]) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_plain_http_is_redirected_except_the_health_check_and_https_gets_hsts_and_secure_cookies():
    seen = probe(production_env())

    assert seen["health"] == 200  # Fly's check calls the machine over plain HTTP
    assert seen["admin"] == [301, "https://testserver/admin/login/"]
    assert seen["secure"] == 200
    assert seen["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert seen["cookies"] == {"csrftoken": True}


def test_without_https_on_plain_http_is_served_as_the_tests_and_local_runs_need():
    seen = probe(production_env(ALFRED_HTTPS=None))

    assert seen["admin"][0] == 200 and seen["hsts"] == "" and seen["cookies"] == {"csrftoken": False}
