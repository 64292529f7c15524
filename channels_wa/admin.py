from django.contrib import admin
from django.http import HttpRequest

from alfred.admin_site import MESSAGES
from channels_wa.models import StatusEvent


@admin.register(StatusEvent)
class StatusEventAdmin(admin.ModelAdmin):
    """WhatsApp's delivery reports, read-only: a failed send shows Meta's error code and title here."""

    admin_section = MESSAGES
    date_hierarchy = "received_at"

    list_display = ("received_at", "provider_message_id", "status", "error_code", "error_title", "message")
    list_filter = ("status", "error_code")
    search_fields = ("provider_message_id", "error_code", "error_title", "recipient_id")
    list_select_related = ("message",)

    def get_readonly_fields(self, request: HttpRequest, obj: StatusEvent | None = None) -> list[str]:
        return [field.name for field in StatusEvent._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: StatusEvent | None = None) -> bool:
        return False
