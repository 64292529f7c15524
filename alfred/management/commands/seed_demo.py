"""Demo data for trying Alfred out. Idempotent: running it again changes nothing."""

from importlib import import_module
from importlib.util import find_spec
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from alfred.models import Member


class Command(BaseCommand):
    help = (
        "Create the demo data of every installed app that has a demo.seed() (skill apps their members, lists "
        "and chores; channel apps the members' addresses). Safe to run again."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        seeded = []
        with transaction.atomic():
            # In INSTALLED_APPS order: skill apps come before channel apps, so members exist before addresses.
            for app in apps.get_app_configs():
                module = f"{app.name}.demo"
                if app.name != "alfred" and find_spec(module) is not None:
                    import_module(module).seed()
                    seeded.append(app.name)
        members = ", ".join(Member.objects.order_by("id").values_list("name", flat=True)) or "no members"
        self.stdout.write(f"Demo data ready for {settings.INSTANCE} ({', '.join(seeded) or 'no app'}): {members}.")
