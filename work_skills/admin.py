"""Admin for the CRM: companies with their contacts, deals and notes inline; deals filtered by stage and close
month. Every name and note is shown through Django's auto-escaping (no ``mark_safe`` on user text)."""

from datetime import date
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from work_skills.models import CalendarEvent, Company, Contact, Deal, InboxDigest, Note
from work_skills.selectors import month_start


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 1
    fields = ("name", "role", "email", "phone")


class DealInline(admin.TabularInline):
    model = Deal
    extra = 1
    fields = ("title", "stage", "amount", "currency", "expected_close", "owner", "next_step")
    show_change_link = True


class CompanyNoteInline(admin.TabularInline):
    model = Note
    fk_name = "company"
    extra = 1
    fields = ("created_at", "author", "deal", "text")


class DealNoteInline(admin.TabularInline):
    model = Note
    fk_name = "deal"
    extra = 1
    fields = ("created_at", "author", "text")


class CloseMonthFilter(admin.SimpleListFilter):
    """The months deals are expected to close in, as they occur in the data."""

    title = _("close month")
    parameter_name = "close_month"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        months = Deal.objects.exclude(expected_close=None).dates("expected_close", "month", order="DESC")
        return [(month.strftime("%Y-%m"), date_format(month, "F Y")) for month in months]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Deal]) -> QuerySet[Deal]:
        value = self.value()
        if not value:
            return queryset
        try:
            year, month = (int(part) for part in value.split("-"))
            start = date(year, month, 1)
        except ValueError:
            return queryset.none()
        return queryset.filter(expected_close__gte=start, expected_close__lt=month_start(start, months_later=1))


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ("name", "aliases", "created_at")
    search_fields = ("name", "aliases", "contacts__name", "contacts__email")
    inlines = [ContactInline, DealInline, CompanyNoteInline]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("name", "company", "role", "email", "phone")
    list_filter = ("company",)
    search_fields = ("name", "email", "phone", "company__name")
    autocomplete_fields = ("company",)


@admin.register(Deal)
class DealAdmin(admin.ModelAdmin):
    list_display = ("title", "company", "stage", "amount", "currency", "expected_close", "owner")
    list_filter = ("stage", CloseMonthFilter, "currency", "owner")
    search_fields = ("title", "company__name", "company__aliases", "next_step")
    autocomplete_fields = ("company",)
    date_hierarchy = "expected_close"
    inlines = [DealNoteInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Deal]:
        return super().get_queryset(request).select_related("company", "owner")


@admin.register(Note)
class NoteAdmin(admin.ModelAdmin):
    list_display = ("created_at", "company", "deal", "author", "short_text")
    list_filter = ("author",)
    search_fields = ("text", "company__name", "deal__title")
    autocomplete_fields = ("company", "deal")

    @admin.display(description=_("text"))
    def short_text(self, note: Note) -> str:
        return note.text[:80]


@admin.register(InboxDigest)
class InboxDigestAdmin(admin.ModelAdmin):
    """Read-only markers; deleting today's row lets the next beat send that morning's digest again."""

    list_display = ("member", "local_date", "last_uid", "message", "created_at")
    list_filter = ("member",)
    readonly_fields = ("member", "local_date", "uidvalidity", "last_uid", "message", "created_at")


@admin.register(CalendarEvent)
class CalendarEventAdmin(admin.ModelAdmin):
    list_display = ("title", "start", "end", "all_day", "busy")
    list_filter = ("all_day", "busy")
    search_fields = ("title", "location", "notes")
    date_hierarchy = "start"
