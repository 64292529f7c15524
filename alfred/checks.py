"""Isolation checks. Every check tagged ``alfred`` runs in every entry point (``alfred.boot.instance_boot``:
web, worker, beat, management commands), so the process refuses to start on any of their errors. A channel app
registers its credential check (``missing_credentials``) under this tag too."""

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.apps import AppConfig, apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register, run_checks
from django.core.checks.registry import registry
from django.core.management.base import SystemCheckError

if TYPE_CHECKING:
    from alfred.channels import ChannelDescription

INSTANCES = ("home", "biz")

ALFRED_TAG = "alfred"


@register(Tags.compatibility, ALFRED_TAG)
def check_instance(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    instance = getattr(settings, "INSTANCE", "")
    if instance not in INSTANCES:
        return [Error(f"INSTANCE must be one of {INSTANCES}, got {instance!r}.", id="alfred.E001")]
    from_env = settings.INSTANCE_FROM_ENV
    # Embedded mode (``make chat``) runs without it; a deployment names its instance twice, in the settings
    # module and in INSTANCE, so one mistyped setting cannot turn it into the other.
    if not from_env and not settings.EMBEDDED:
        errors.append(
            Error(
                f"INSTANCE is not set; this process runs settings.{instance}.",
                hint=f"Set INSTANCE={instance} in the environment (see .env.template).",
                id="alfred.E001",
            )
        )
    if from_env and from_env != instance:
        errors.append(
            Error(
                f"The environment says INSTANCE={from_env!r} but the settings module is for {instance!r}.",
                hint=f"Use --settings=settings.{from_env} or fix INSTANCE.",
                id="alfred.E001",
            )
        )
    # Each skill and channel app names the instances it belongs to (``alfred_instances`` on its AppConfig),
    # so the core needs no list of whose app is whose.
    for app in apps.get_app_configs():
        belongs_to = getattr(app, "alfred_instances", None)
        if belongs_to is not None and instance not in belongs_to:
            errors.append(
                Error(
                    f"App {app.name!r} belongs to {sorted(belongs_to)}, not to the {instance} instance.",
                    hint="Remove it from INSTALLED_APPS / ALFRED_CHANNEL_APPS of this settings module.",
                    id="alfred.E003",
                )
            )
    return errors


@register(Tags.compatibility, ALFRED_TAG)
def check_skills(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[CheckMessage]:
    from alfred.registry import load_skill

    errors: list[CheckMessage] = []
    for path in settings.ALFRED_SKILLS:
        try:
            skill = load_skill(path)
        except (ImportError, TypeError) as exc:
            errors.append(Error(f"Skill {path!r} cannot be loaded: {exc}", id="alfred.E002"))
            continue
        if settings.INSTANCE not in skill.instances:
            errors.append(
                Error(
                    f"Skill {skill.name!r} ({path}) is tagged for {sorted(skill.instances)}, "
                    f"not for the {settings.INSTANCE} instance.",
                    hint="Remove it from ALFRED_SKILLS in this settings module.",
                    id="alfred.E002",
                )
            )
    return errors


@register(Tags.compatibility, ALFRED_TAG)
def check_foreign_variables(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """A variable of an app this instance does not install is a sign of a mixed-up deployment (the other
    instance's secrets copied in): refused by name, never by value."""
    owners: dict[str, list[str]] = {}
    for app, owned_names in settings.ALFRED_APP_ENV_VARS.items():
        for name in settings.ALFRED_OWNED_ENV_SET:
            if any(name.startswith(owned) if owned.endswith("_") else name == owned for owned in owned_names):
                owners.setdefault(name, []).append(app)
    return [
        Error(
            f"{name} is set, but it belongs to {' and '.join(apps_of_name)}, which the {settings.INSTANCE} "
            "instance does not install.",
            hint="Remove it from this deployment's environment (it belongs to the other instance).",
            id="alfred.E004",
        )
        for name, apps_of_name in sorted(owners.items())
        if not any(apps.is_installed(app) for app in apps_of_name)
    ]


def missing_credentials(description: "ChannelDescription", *, check_id: str) -> list[CheckMessage]:
    """The error a channel app's system check reports when one of its required settings is empty outside
    development mode (each channel registers it under its own tag and id)."""
    if settings.DEV_MODE:
        return []
    missing = [name for name in description.required_settings if not getattr(settings, name, "")]
    if not missing:
        return []
    where = f" and README “{description.setup_section}”" if description.setup_section else ""
    return [
        Error(
            f"{description.label} is installed but {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} "
            "not set.",
            hint=f"Set them in the environment (see .env.template{where}).",
            id=check_id,
        )
    ]


def assert_startup_checks(*, skills: bool = True) -> None:
    """Raise ``SystemCheckError`` when any check tagged ``alfred`` fails (run by ``instance_boot``).

    ``skills=False`` leaves out ``check_skills``, which imports every skill and with them pydantic: the web
    process runs no skill, and the worker (and the deploy's release_command, which runs every check) refuse a
    wrong one."""
    if skills:
        messages = run_checks(tags=[ALFRED_TAG])
    else:
        chosen = [check for check in registry.get_checks() if ALFRED_TAG in check.tags and check is not check_skills]
        messages = [message for check in chosen for message in check(app_configs=None, databases=None)]
    errors = [m for m in messages if m.is_serious()]
    if errors:
        raise SystemCheckError("\n".join(str(e) for e in errors))
