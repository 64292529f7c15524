"""Demo data for trying Alfred out. Idempotent: running it again changes nothing."""

from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.module_loading import import_string

from alfred.models import Member

HOME_MEMBERS: list[dict[str, str | bool]] = [
    {"name": "Ana", "wa_id": "+34600000001", "is_admin": True, "language": "es"},
    {"name": "Leo", "wa_id": "+34600000002", "is_admin": False, "language": "en"},
    {"name": "Maria", "wa_id": "+34600000003", "is_admin": False, "language": "es"},
]
BIZ_MEMBERS: list[dict[str, str | bool]] = [
    {"name": "Owner", "slack_user_id": "U0OWNER001", "is_admin": True, "language": "en"},
]

# Each skill app may add its own demo rows with a ``demo.seed()`` function.
SKILL_SEEDERS = {"home_skills": "home_skills.demo.seed", "work_skills": "work_skills.demo.seed"}


class Command(BaseCommand):
    help = "Create the demo members (and each installed skill's demo data). Safe to run again."

    def handle(self, *args: Any, **options: Any) -> None:
        members = HOME_MEMBERS if settings.INSTANCE == "home" else BIZ_MEMBERS
        with transaction.atomic():
            for spec in members:
                fields = dict(spec)
                name = str(fields.pop("name"))
                Member.objects.update_or_create(name=name, defaults=fields)
            for app, path in SKILL_SEEDERS.items():
                if apps.is_installed(app):
                    try:
                        seeder: Callable[[], None] = import_string(path)
                    except ImportError:
                        continue
                    seeder()
        self.stdout.write(f"Demo data ready for {settings.INSTANCE}: {', '.join(str(m['name']) for m in members)}.")
