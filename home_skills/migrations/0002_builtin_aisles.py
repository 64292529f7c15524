"""Load the built-in aisle dictionary (en + es). Editable afterwards in the admin."""

from django.db import migrations


def load(apps, schema_editor):
    from home_skills.aisles import BUILTIN_AISLES, keywords_of
    from home_skills.text import name_key

    Aisle = apps.get_model("home_skills", "Aisle")
    AisleKeyword = apps.get_model("home_skills", "AisleKeyword")
    for name_en, name_es, emoji, position, keywords in BUILTIN_AISLES:
        aisle, _ = Aisle.objects.get_or_create(
            name_en=name_en, defaults={"name_es": name_es, "emoji": emoji, "position": position}
        )
        for keyword in keywords_of(keywords):
            AisleKeyword.objects.get_or_create(keyword=name_key(keyword), defaults={"aisle": aisle})


def unload(apps, schema_editor):
    from home_skills.aisles import BUILTIN_AISLES

    apps.get_model("home_skills", "Aisle").objects.filter(name_en__in=[a[0] for a in BUILTIN_AISLES]).delete()


class Migration(migrations.Migration):
    dependencies = [("home_skills", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
