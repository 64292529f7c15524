"""Admin for the CRM: companies with their contacts, deals and notes inline; deals filtered by stage and close
month. Every name and note is shown through Django's auto-escaping (no ``mark_safe`` on user text)."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.contrib import admin
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from alfred.admin_site import Section
from alfred.dashboard import Card, Line, card, changelist
from work_skills.models import OPEN_STAGES, CalendarEvent, Company, Contact, Deal, InboxDigest, Note, Stage
from work_skills.selectors import deals_closing, local_today, month_start

CRM = Section(_("CRM"), 10)
INBOX = Section(_("Work inbox"), 20)


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


def notes_authored(request: HttpRequest, formset: Any) -> None:
    """New notes written in the admin are signed by the member the admin user is (when there is one)."""
    member = getattr(request.user, "member", None)
    for note_form in formset.forms:
        note = note_form.instance
        if isinstance(note, Note) and note.pk is None and note.author is None and member is not None:
            note.author = member


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
    admin_section = CRM
    list_display = ("name", "aliases", "contact_count", "open_deal_count", "created_at")
    list_filter = (("deals__stage", admin.ChoicesFieldListFilter), "created_at")
    search_fields = ("name", "aliases", "contacts__name", "contacts__email")
    inlines = [ContactInline, DealInline, CompanyNoteInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Company]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                contacts_n=Count("contacts", distinct=True),
                open_deals_n=Count("deals", filter=Q(deals__stage__in=OPEN_STAGES), distinct=True),
            )
        )

    @admin.display(description=_("contacts"), ordering="contacts_n")
    def contact_count(self, obj: Any) -> int:
        return int(obj.contacts_n)

    @admin.display(description=_("open deals"), ordering="open_deals_n")
    def open_deal_count(self, obj: Any) -> int:
        return int(obj.open_deals_n)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        notes_authored(request, formset)
        super().save_formset(request, form, formset, change)


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    admin_section = CRM
    list_display = ("name", "company", "role", "email", "phone")
    list_filter = ("company",)
    search_fields = ("name", "email", "phone", "company__name")
    autocomplete_fields = ("company",)


@admin.register(Deal)
class DealAdmin(admin.ModelAdmin):
    admin_section = CRM
    actions = ["mark_won", "mark_lost"]
    list_display = ("title", "company", "stage", "amount", "currency", "expected_close", "owner")
    list_filter = ("stage", CloseMonthFilter, "currency", "owner")
    search_fields = ("title", "company__name", "company__aliases", "next_step")
    autocomplete_fields = ("company",)
    date_hierarchy = "expected_close"
    inlines = [DealNoteInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Deal]:
        return super().get_queryset(request).select_related("company", "owner")

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        # A note written on a deal is a note on its company too (as note_add does for the tools).
        for note_form in formset.forms:
            if isinstance(note_form.instance, Note) and note_form.instance.company_id is None:
                note_form.instance.company_id = form.instance.company_id
        notes_authored(request, formset)
        super().save_formset(request, form, formset, change)

    @admin.action(description=_("Mark as won"))
    def mark_won(self, request: HttpRequest, queryset: QuerySet[Deal]) -> None:
        self.set_stage(request, queryset, Stage.WON)

    @admin.action(description=_("Mark as lost"))
    def mark_lost(self, request: HttpRequest, queryset: QuerySet[Deal]) -> None:
        self.set_stage(request, queryset, Stage.LOST)

    def set_stage(self, request: HttpRequest, queryset: QuerySet[Deal], stage: Stage) -> None:
        changed = 0
        for deal in queryset.exclude(stage=stage):
            deal.stage = stage
            deal.save(update_fields=["stage", "updated_at"])
            # Logged like an edit on the deal's page, so the audit trail has it.
            self.log_change(request, deal, [{"changed": {"fields": ["stage"]}}])
            changed += 1
        self.message_user(request, _("%(n)d deal(s) marked %(stage)s.") % {"n": changed, "stage": stage.label})


@admin.register(Note)
class NoteAdmin(admin.ModelAdmin):
    admin_section = CRM
    list_display = ("created_at", "company", "deal", "author", "short_text")
    list_filter = ("author", "created_at")
    date_hierarchy = "created_at"
    search_fields = ("text", "company__name", "deal__title")
    autocomplete_fields = ("company", "deal")

    @admin.display(description=_("text"))
    def short_text(self, note: Note) -> str:
        return note.text[:80]

    def save_model(self, request: HttpRequest, obj: Note, form: Any, change: bool) -> None:
        if obj.author is None:
            obj.author = getattr(request.user, "member", None)
        if obj.company_id is None and obj.deal_id is not None:
            obj.company_id = obj.deal.company_id
        super().save_model(request, obj, form, change)


@admin.register(InboxDigest)
class InboxDigestAdmin(admin.ModelAdmin):
    """Read-only markers; deleting today's row lets the next beat send that morning's digest again."""

    admin_section = INBOX
    search_fields = ("member__name",)
    date_hierarchy = "local_date"

    list_display = ("member", "local_date", "last_uid", "message", "created_at")
    list_filter = ("member",)
    readonly_fields = ("member", "local_date", "uidvalidity", "last_uid", "message", "created_at")


# --- dashboard cards (alfred.dashboard) ---------------------------------------------------------------


@card("deals_closing", order=10, permission="work_skills.view_deal")
def deals_closing_this_month(request: HttpRequest) -> Card:
    today = local_today(None)
    start = month_start(today)
    deals = deals_closing(start=start, end=month_start(today, months_later=1) - timedelta(days=1))
    totals: dict[str, Decimal] = {}
    for deal in deals:
        if deal.amount is not None:
            totals[deal.currency] = totals.get(deal.currency, Decimal(0)) + deal.amount
    lines = (
        [Line(", ".join(f"{amount:,.0f} {currency}" for currency, amount in sorted(totals.items())))] if totals else []
    )
    lines += [
        Line(
            f"{deal.company.name} — {deal.title} ({date_format(deal.expected_close or today, 'j M')})",
            reverse("admin:work_skills_deal_change", args=[deal.pk]),
        )
        for deal in deals[:6]
    ]
    return Card(
        title=str(_("Deals closing this month")),
        value=str(len(deals)),
        lines=lines,
        url=changelist("work_skills.deal", f"close_month={start.strftime('%Y-%m')}"),
        tone="" if deals else "muted",
    )


@admin.register(CalendarEvent)
class CalendarEventAdmin(admin.ModelAdmin):
    admin_section = CRM
    list_display = ("title", "start", "end", "all_day", "busy")
    list_filter = ("all_day", "busy")
    search_fields = ("title", "location", "notes")
    date_hierarchy = "start"
