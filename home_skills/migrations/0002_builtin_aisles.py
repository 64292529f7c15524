"""Load the built-in aisle dictionary (en + es). Editable afterwards in the admin."""

from django.db import migrations


def load(apps, schema_editor):
    from home_skills.aisles import load_builtin

    load_builtin(apps.get_model("home_skills", "Aisle"), apps.get_model("home_skills", "AisleKeyword"))


def unload(apps, schema_editor):
    from home_skills.aisles import BUILTIN_AISLES

    apps.get_model("home_skills", "Aisle").objects.filter(name_en__in=[a[0] for a in BUILTIN_AISLES]).delete()


class Migration(migrations.Migration):
    dependencies = [("home_skills", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
