from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Avg, Count, F, Q, Sum
from django.db.models.functions import TruncDate
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.timesince import timesince, timeuntil

from alfred.admin_site import LLM, MESSAGES, PEOPLE, SECURITY
from alfred.api_tokens import api_token_create
from alfred.channels import channel_descriptions
from alfred.models import (
    ApiToken,
    AuditEvent,
    Conversation,
    Credential,
    LLMCompletion,
    Member,
    MemberAddress,
    Message,
    PendingAction,
    ToolCall,
)


class MemberAddressInline(admin.TabularInline):
    model = MemberAddress
    extra = 1
    fields = ("channel", "address")

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        # What an address is differs per channel; each installed channel says so in its description.
        formset.form.base_fields["address"].help_text = " · ".join(
            f"{description.label}: {description.address_help}"
            for description in channel_descriptions()
            if description.address_help
        )
        return formset


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    admin_section = PEOPLE
    list_display = ("name", "language", "timezone", "is_admin", "is_active", "addresses_shown")
    list_filter = ("language", "is_admin", "is_active")
    search_fields = ("name", "addresses__address")
    inlines = [MemberAddressInline]
    actions = ["activate", "deactivate", "create_api_token"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).prefetch_related("addresses")

    @admin.display(description="addresses")
    def addresses_shown(self, obj: Member) -> str:
        return ", ".join(str(address) for address in obj.addresses.all())

    @admin.action(description="Let the selected members talk to Alfred again")
    def activate(self, request: HttpRequest, queryset: Any) -> None:
        self.set_active(request, queryset, active=True)

    @admin.action(description="Stop the selected members (they are then treated as strangers)")
    def deactivate(self, request: HttpRequest, queryset: Any) -> None:
        self.set_active(request, queryset, active=False)

    def set_active(self, request: HttpRequest, queryset: Any, *, active: bool) -> None:
        # One save per member, not an update(): the save signal empties the who-is-this cache, and each
        # change is logged (and so audited) like an edit made on the member's page.
        changed = 0
        for member in queryset.exclude(is_active=active):
            member.is_active = active
            member.save(update_fields=["is_active"])
            self.log_change(request, member, [{"changed": {"fields": ["is_active"]}}])
            changed += 1
        self.message_user(request, f"{changed} member(s) {'activated' if active else 'deactivated'}.")

    @admin.action(description="Create an API token (and a login) for each selected member")
    def create_api_token(self, request: HttpRequest, queryset: Any) -> HttpResponse:
        """Answers with a page of its own that shows each new key once. Not through Django's messages: they
        are kept in a cookie or the session until shown, and the database would hold the key meanwhile."""
        user_model = get_user_model()
        made: list[tuple[str, str]] = []
        existing: list[str] = []
        for member in queryset:
            if member.user is None:
                # A login of its own for the token; not staff, so the admin stays closed to it.
                member.user, _created = user_model.objects.get_or_create(username=f"member-{member.pk}")
                member.save(update_fields=["user"])
            key = api_token_create(user=member.user)
            if key is None:
                existing.append(member.name)
            else:
                made.append((member.name, key))
                self.log_change(request, member, "Created an API token.")
        context = {
            **self.admin_site.each_context(request),
            "title": "API tokens",
            "made": made,
            "existing": existing,
            "opts": self.model._meta,
        }
        # No cache keeps the page: the admin's views send "no-store" (a test checks it on this page).
        return TemplateResponse(request, "admin/alfred/api_tokens.html", context)


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    admin_section = MESSAGES
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


# What one completion cost and how it went: shown on the message and in the completions list alike.
COMPLETION_FIGURES = ("round", "model", "prompt_tokens", "completion_tokens", "latency_ms", "cost", "ok", "error")


class LLMCompletionInline(admin.TabularInline):
    model = LLMCompletion
    extra = 0
    can_delete = False
    fields = readonly_fields = (*COMPLETION_FIGURES, "finish_reason", "response", "created_at")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """The message log: read-only, because it is the record of what happened."""

    admin_section = MESSAGES

    list_display = ("id", "created_at", "direction", "channel", "sender", "short_text", "status", "path", "error_code")
    list_filter = ("status", "path", "channel", "direction", "kind", "proactive")
    search_fields = ("text", "provider_message_id", "sender__name", "error")
    date_hierarchy = "created_at"
    inlines = [ToolCallInline, LLMCompletionInline]
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


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LLMCompletion)
class LLMCompletionAdmin(ReadOnlyAdmin):
    """Every call to the LLM endpoint, with its cost; "Usage per day" sums them against the budget."""

    admin_section = LLM

    list_display = ("created_at", "kind", "message", *COMPLETION_FIGURES)
    list_filter = ("kind", "ok", "model")
    search_fields = ("error", "message__text")
    date_hierarchy = "created_at"
    list_select_related = ("message",)
    change_list_template = "admin/alfred/llmcompletion/change_list.html"

    def get_urls(self) -> list[URLPattern]:
        usage = path("usage/", self.admin_site.admin_view(self.usage_view), name="alfred_llmcompletion_usage")
        return [usage, *super().get_urls()]

    def usage_view(self, request: HttpRequest) -> HttpResponse:
        since = timezone.localdate() - timedelta(days=30)
        days = (
            LLMCompletion.objects.annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
            .filter(day__gte=since)
            .values("day")
            .annotate(
                completions=Count("id"),
                failed=Count("id", filter=Q(ok=False)),
                messages=Count("message", distinct=True),
                prompt_sum=Sum("prompt_tokens"),
                completion_sum=Sum("completion_tokens"),
                tokens=Sum(F("prompt_tokens") + F("completion_tokens")),
                cost=Sum("cost"),
                latency_ms=Avg("latency_ms"),
            )
            .order_by("-day")
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "LLM usage per day",
            "days": list(days),
            "budget": settings.ALFRED_LLM_DAILY_TOKEN_BUDGET,
            "model": settings.OPENAI_MODEL,
        }
        return TemplateResponse(request, "admin/alfred/llmcompletion/usage.html", context)


@admin.register(PendingAction)
class PendingActionAdmin(ReadOnlyAdmin):
    """Destructive actions the LLM proposed, and what the user answered."""

    admin_section = LLM

    list_display = ("created_at", "member", "tool", "args", "status", "resolved_at")
    list_filter = ("status", "tool")
    search_fields = ("tool", "member__name")


@admin.register(Credential)
class CredentialAdmin(ReadOnlyAdmin):
    """The stored provider tokens: how old they are and when they expire, never their values (the encrypted
    columns are in no list, form or page). Replacing one is done in the environment or by rotate_tokens."""

    admin_section = SECURITY
    list_filter = ("provider",)
    search_fields = ("provider",)

    list_display = ("provider", "age", "expires_in", "issued_at", "expires_at", "rotated_at", "checked_at")
    fields = readonly_fields = list_display

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deleting would drop a rotated refresh token the environment no longer holds: the app would be locked out.
        return False

    @admin.display(description="age")
    def age(self, obj: Credential) -> str:
        return timesince(obj.issued_at)

    @admin.display(description="expires in")
    def expires_in(self, obj: Credential) -> str:
        if obj.expires_at is None:
            return "never (or not known yet)"
        if obj.expires_at <= timezone.now():
            return f"expired {timesince(obj.expires_at)} ago"
        return timeuntil(obj.expires_at)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """The audit trail: read-only and not deletable here (events leave only through the nightly archive)."""

    admin_section = SECURITY

    list_display = ("at", "action", "actor", "target", "detail")
    list_filter = ("action", "actor", "at")
    search_fields = ("action", "actor", "target")
    date_hierarchy = "at"
    fields = readonly_fields = ("at", "instance", "action", "actor", "target", "detail")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Who has an API token and since when; the key itself is not stored, so no page can show it. Tokens are
    made by the members' action *Create an API token*; deleting one here revokes it."""

    admin_section = PEOPLE
    list_display = ("user", "member", "created_at")
    search_fields = ("user__username", "user__member__name")
    fields = ("user", "member", "created_at")
    readonly_fields = ("user", "member", "created_at")

    @admin.display(description="member")
    def member(self, obj: ApiToken) -> str:
        member = getattr(obj.user, "member", None)
        return member.name if member is not None else ""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
