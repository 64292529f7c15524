import pytest
from django.conf import settings
from django.core.checks import run_checks
from django.core.management.base import SystemCheckError
from django.test import override_settings

from alfred.checks import assert_startup_checks
from settings import biz, home


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
