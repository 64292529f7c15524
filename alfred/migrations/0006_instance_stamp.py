"""The instance stamp table (not a model: see alfred/stamp.py), and the stamp of the database it runs on."""

from django.apps.registry import Apps
from django.conf import settings
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from alfred.stamp import CREATE_STAMP_TABLE, DROP_STAMP_TABLE, stamp_database


def stamp_this_database(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    # Refuses (and so rolls the migration back) a database stamped for, or migrated by, the other instance.
    stamp_database(schema_editor.connection, settings.INSTANCE)


class Migration(migrations.Migration):
    dependencies = [
        ("alfred", "0005_audit_event"),
    ]

    operations = [
        migrations.RunSQL(CREATE_STAMP_TABLE, DROP_STAMP_TABLE),
        migrations.RunPython(stamp_this_database, migrations.RunPython.noop),
    ]
