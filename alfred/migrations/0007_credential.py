import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("alfred", "0006_instance_stamp"),
    ]

    operations = [
        migrations.CreateModel(
            name="Credential",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("provider", models.CharField(max_length=32, unique=True)),
                ("token_encrypted", models.TextField()),
                ("refresh_encrypted", models.TextField(blank=True)),
                ("source_fingerprint", models.CharField(blank=True, max_length=64)),
                ("issued_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("expires_at", models.DateTimeField(blank=True, null=True)),
                ("rotated_at", models.DateTimeField(blank=True, null=True)),
                ("checked_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "ordering": ["provider"],
            },
        ),
    ]
