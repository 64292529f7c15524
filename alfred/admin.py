from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from alfred.models import Conversation, Member, Message, ToolCall


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ("name", "language", "timezone", "is_admin", "is_active", "wa_id", "slack_user_id")
    list_filter = ("language", "is_admin", "is_active")
    search_fields = ("name", "wa_id", "wa_user_id", "slack_user_id")


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ("__str__", "member", "last_inbound_at", "created_at")
    list_filter = ("channel",)
    search_fields = ("external_id", "member__name")
    readonly_fields = ("channel", "external_id", "last_inbound_at", "created_at")


class ToolCallInline(admin.TabularInline):
    model = ToolCall
    extra = 0
    can_delete = False
    readonly_fields = ("call_id", "tool", "args", "result", "ok", "duration_ms", "created_at")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """The message log: read-only, because it is the record of what happened."""

    list_display = ("id", "created_at", "direction", "channel", "sender", "short_text", "status", "path", "error_code")
    list_filter = ("status", "path", "channel", "direction", "kind", "proactive")
    search_fields = ("text", "provider_message_id", "sender__name", "error")
    date_hierarchy = "created_at"
    inlines = [ToolCallInline]
    list_select_related = ("sender",)

    @admin.display(description="text")
    def short_text(self, obj: Message) -> str:
        return obj.text[:80]

    def get_readonly_fields(self, request: HttpRequest, obj: Message | None = None) -> list[str]:
        return [field.name for field in Message._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Message | None = None) -> bool:
        return False
