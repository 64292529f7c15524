import pytest
from django.core.checks import run_checks

pytestmark = pytest.mark.home

CONFIGURED = {
    "META_TOKEN": "token",
    "META_APP_SECRET": "secret",
    "META_VERIFY_TOKEN": "verify",
    "PHONE_ID": "1122334455667",
}


def wa_errors() -> list:
    return [m for m in run_checks(tags=["channels_wa"]) if m.is_serious()]


@pytest.mark.parametrize("missing", sorted(CONFIGURED))
def test_a_production_home_without_a_whatsapp_credential_is_a_named_check_error(settings, missing):
    settings.DEV_MODE = False
    for name, value in CONFIGURED.items():
        setattr(settings, name, "" if name == missing else value)

    errors = wa_errors()

    assert [e.id for e in errors] == ["channels_wa.E001"]
    assert missing in errors[0].msg
    assert all(value not in errors[0].msg for value in CONFIGURED.values())


def test_a_fully_configured_home_passes(settings):
    settings.DEV_MODE = False
    for name, value in CONFIGURED.items():
        setattr(settings, name, value)

    assert wa_errors() == []


def test_development_mode_needs_no_whatsapp_credentials(settings):
    settings.DEV_MODE = True
    for name in CONFIGURED:
        setattr(settings, name, "")

    assert wa_errors() == []
