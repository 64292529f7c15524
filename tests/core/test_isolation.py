import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.checks import run_checks
from django.core.management.base import SystemCheckError
from django.test import override_settings
from django.utils.module_loading import import_string

from alfred.checks import assert_startup_checks
from settings import base, biz, home
from tests.core.entry_points import channel_credentials

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _configured_channels() -> Iterator[None]:
    """The checks below run as a deployment's boot does, credential checks included: give this instance's
    channels their credentials, so that each test sees only the error it is about."""
    with override_settings(**{k: v for k, v in channel_credentials().items() if not getattr(settings, k)}):
        yield


def serious(tags: tuple[str, ...] = ("alfred",)) -> list:
    return [m for m in run_checks(tags=list(tags)) if m.is_serious()]


def test_home_settings_never_install_work_apps():
    assert "work_skills" not in home.INSTALLED_APPS
    assert "channels_slack" not in home.INSTALLED_APPS
    assert home.INSTANCE == "home"


def test_biz_settings_never_install_home_skills():
    assert "home_skills" not in biz.INSTALLED_APPS
    assert biz.INSTANCE == "biz"


def test_instances_never_share_queues_or_key_prefixes():
    assert home.CELERY_TASK_DEFAULT_QUEUE != biz.CELERY_TASK_DEFAULT_QUEUE
    assert home.CACHES["default"]["KEY_PREFIX"] != biz.CACHES["default"]["KEY_PREFIX"]
    assert (
        home.CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"]
        != biz.CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"]
    )


@pytest.mark.home
def test_a_biz_skill_listed_in_home_settings_is_a_named_system_check_error():
    with override_settings(ALFRED_SKILLS=[*settings.ALFRED_SKILLS, "tests.core.fake_skills.biz_only"]):
        errors = [m for m in run_checks(tags=["alfred"]) if m.is_serious()]
        assert [e.id for e in errors] == ["alfred.E002"]
        assert "biz_only" in errors[0].msg
        with pytest.raises(SystemCheckError, match=r"alfred\.E002"):
            assert_startup_checks()
        # The web process leaves the skills to the worker (it runs none): it would not import them for this.
        assert_startup_checks(skills=False)


def test_the_configured_instance_passes_its_own_checks():
    assert [m for m in run_checks(tags=["alfred"]) if m.is_serious()] == []


@pytest.mark.home
def test_a_biz_app_installed_in_home_is_a_named_system_check_error():
    with override_settings(INSTALLED_APPS=[*settings.INSTALLED_APPS, "work_skills"]):
        errors = [m for m in run_checks(tags=["alfred"]) if m.is_serious()]
        assert [(e.id, "'work_skills'" in e.msg) for e in errors] == [("alfred.E003", True)]


@pytest.mark.biz
def test_a_home_app_installed_in_biz_is_a_named_system_check_error():
    with override_settings(INSTALLED_APPS=[*settings.INSTALLED_APPS, "home_skills"]):
        errors = [m for m in run_checks(tags=["alfred"]) if m.is_serious()]
        assert [(e.id, "'home_skills'" in e.msg) for e in errors] == [("alfred.E003", True)]


# --- config: INSTANCE is required -------------------------------------------------------------------------


def test_outside_embedded_mode_a_missing_instance_is_a_named_check_error():
    with override_settings(INSTANCE_FROM_ENV="", EMBEDDED=False):
        errors = serious()

    assert [e.id for e in errors] == ["alfred.E001"]
    assert "INSTANCE is not set" in errors[0].msg and f"INSTANCE={settings.INSTANCE}" in errors[0].hint


def test_embedded_mode_needs_no_instance_variable():
    with override_settings(INSTANCE_FROM_ENV="", EMBEDDED=True):
        assert serious() == []


# --- config: the other instance's variables are refused by name -------------------------------------------

FOREIGN = {
    "home": ("IMAP_HOST", "IMAP_PASSWORD", "SLACK_API_BASE", "SLACK_BOT_TOKEN"),
    "biz": ("META_APP_SECRET", "META_TOKEN", "PHONE_ID", "WHATSAPP_API_BASE"),
}


def test_each_variable_of_an_app_this_instance_does_not_install_is_a_named_check_error():
    foreign = FOREIGN[settings.INSTANCE]
    with override_settings(ALFRED_OWNED_ENV_SET=foreign):
        errors = serious()

    assert [e.id for e in errors] == ["alfred.E004"] * len(foreign)
    assert [re.match(r"\w+", e.msg)[0] for e in errors] == list(foreign)  # type: ignore[index]


OWN = {
    "home": ("META_TOKEN", "PHONE_ID", "WHATSAPP_API_BASE"),
    "biz": ("IMAP_HOST", "SLACK_API_BASE", "SLACK_BOT_TOKEN"),
}


def test_the_variables_of_installed_apps_are_accepted():
    with override_settings(ALFRED_OWNED_ENV_SET=OWN[settings.INSTANCE]):
        assert serious() == []


@pytest.mark.biz
def test_biz_with_its_second_whatsapp_number_installed_accepts_the_whatsapp_variables():
    with override_settings(
        INSTALLED_APPS=[*settings.INSTALLED_APPS, "channels_wa"], ALFRED_OWNED_ENV_SET=FOREIGN["biz"]
    ):
        assert [e.id for e in serious() if e.id == "alfred.E004"] == []


def test_the_table_of_variables_agrees_with_every_channel_description():
    """The table is settings (both images carry it, neither carries the other's apps); the channel
    descriptions are the truth it is derived from."""
    channel_apps = {*home.ALFRED_CHANNEL_APPS, *biz.ALFRED_CHANNEL_APPS}
    for app in channel_apps:
        described = import_string(f"{app}.channel.CHANNEL").env_vars
        owned = base.ALFRED_APP_ENV_VARS[app]
        assert [name for name in described if not owned_by(name, owned)] == [], app
        assert [entry for entry in owned if not any(owned_by(name, (entry,)) for name in described)] == [], app


def test_every_variable_in_an_apps_section_of_the_env_template_is_owned_by_that_app_and_no_shared_one_is():
    sections = env_template_sections()
    owners = {
        "home: WhatsApp": "channels_wa",
        "biz: Slack": "channels_slack",
        "biz: work inbox": "work_skills",
        "biz: calendar bridge": "work_skills",
        "home: calendar bridge": "home_skills",
    }
    for title, names in sections.items():
        app = next((app for prefix, app in owners.items() if title.startswith(prefix)), None)
        for name in names:
            owning = sorted(a for a, owned in base.ALFRED_APP_ENV_VARS.items() if owned_by(name, owned))
            assert owning == ([app] if app else []), (title, name)
    assert set(owners.values()) == set(base.ALFRED_APP_ENV_VARS)


def owned_by(name: str, owned: tuple[str, ...]) -> bool:
    return any(name.startswith(entry) if entry.endswith("_") else name == entry for entry in owned)


def env_template_sections() -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    title = ""
    for line in (ROOT / ".env.template").read_text().splitlines():
        if header := re.match(r"# --- (.+?) -*$", line):
            title = header[1]
            sections[title] = []
        elif title and (variable := re.match(r"([A-Z][A-Z0-9_]*)=", line)):
            sections[title].append(variable[1])
    return sections
