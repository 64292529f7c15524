from django.apps import AppConfig
from django.conf import settings


class AlfredConfig(AppConfig):
    name = "alfred"
    verbose_name = "Alfred"

    def ready(self) -> None:
        from django.contrib import admin

        from alfred import checks  # noqa: F401  (registers the system checks)

        title = f"Alfred · {settings.INSTANCE.title()}"
        admin.site.site_header = title
        admin.site.site_title = title
        admin.site.index_title = "Administration"
