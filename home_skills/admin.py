"""Admin for lists, aisles and chores: what the family edits by hand. Every name is shown through Django's
auto-escaping (no ``mark_safe``/``format_html`` on user text), so a "<script>" item stays text."""

from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from alfred.admin_site import Section
from alfred.dashboard import Card, Line, card, changelist
from home_skills import selectors
from home_skills.models import (
    Aisle,
    AisleKeyword,
    Chore,
    ChoreAssignee,
    ChoreCompletion,
    ChoreReminder,
    Item,
    ItemState,
    ListChange,
    ShoppingList,
)
from home_skills.services.chores import chore_complete
from home_skills.services.lists import grocery_bought_clear, grocery_items_mark_bought

SHOPPING = Section(_("Shopping lists"), 10)
CHORES = Section(_("Chores"), 20)

# Item names are TextFields (any length is kept) but read as one line.
ONE_LINE_NAMES: "dict[type[models.Field[Any, Any]], dict[str, Any]]" = {
    models.TextField: {"widget": forms.TextInput(attrs={"size": 40})}
}


class ItemInline(admin.TabularInline):
    model = Item
    extra = 1
    formfield_overrides = ONE_LINE_NAMES
    fields = ("name", "quantity", "unit", "aisle", "note", "state", "added_by", "bought_at", "bought_by")
    readonly_fields = ("bought_at", "bought_by")
    autocomplete_fields = ("aisle",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Item]:
        # The list page shows what matters now; archived and removed lines stay reachable under Items.
        return super().get_queryset(request).filter(state__in=[ItemState.OPEN, ItemState.BOUGHT])


@admin.register(ShoppingList)
class ShoppingListAdmin(admin.ModelAdmin):
    admin_section = SHOPPING
    list_display = ("name", "is_default", "aliases", "to_buy", "bought")
    list_filter = ("is_default",)
    search_fields = ("name", "aliases")
    inlines = [ItemInline]
    actions = ["clear_bought"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ShoppingList]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                open_count=Count("items", filter=Q(items__state=ItemState.OPEN)),
                bought_count=Count("items", filter=Q(items__state=ItemState.BOUGHT)),
            )
        )

    @admin.display(description=_("to buy"))
    def to_buy(self, obj: Any) -> int:
        return int(obj.open_count)

    @admin.display(description=_("bought"))
    def bought(self, obj: Any) -> int:
        return int(obj.bought_count)

    @admin.action(description=_("Clear bought items (archive them)"))
    def clear_bought(self, request: HttpRequest, queryset: QuerySet[ShoppingList]) -> None:
        member = getattr(request.user, "member", None)
        total = sum(grocery_bought_clear(shopping_list=sl, member=member) for sl in queryset)
        self.message_user(request, ngettext("%d item cleared.", "%d items cleared.", total) % total)


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    admin_section = SHOPPING
    list_display = ("name", "quantity", "unit", "shopping_list", "aisle", "state", "added_by", "added_at", "bought_at")
    list_filter = ("shopping_list", "aisle", "state", ("bought_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "note", "normalised_name")
    list_select_related = ("shopping_list", "aisle", "added_by")
    autocomplete_fields = ("aisle",)
    formfield_overrides = ONE_LINE_NAMES
    readonly_fields = ("normalised_name", "added_at", "bought_at", "bought_by")
    actions = ["mark_bought", "clear_bought"]

    def save_model(self, request: HttpRequest, obj: Item, form: Any, change: bool) -> None:
        # An item added here is filed like one added by chat: in its aisle, by the admin user's member.
        if not change:
            if obj.aisle is None:
                obj.aisle = selectors.aisle_for(obj.name)
            if obj.added_by is None:
                obj.added_by = getattr(request.user, "member", None)
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Mark as bought"))
    def mark_bought(self, request: HttpRequest, queryset: QuerySet[Item]) -> None:
        done = grocery_items_mark_bought(items=list(queryset), member=getattr(request.user, "member", None))
        self.message_user(request, ngettext("%d item marked bought.", "%d items marked bought.", len(done)) % len(done))

    @admin.action(description=_("Clear bought items of these lists"))
    def clear_bought(self, request: HttpRequest, queryset: QuerySet[Item]) -> None:
        member = getattr(request.user, "member", None)
        lists = ShoppingList.objects.filter(pk__in=queryset.values("shopping_list"))
        total = sum(grocery_bought_clear(shopping_list=sl, member=member) for sl in lists)
        self.message_user(request, ngettext("%d item cleared.", "%d items cleared.", total) % total)


class AisleKeywordInline(admin.TabularInline):
    model = AisleKeyword
    extra = 3


@admin.register(Aisle)
class AisleAdmin(admin.ModelAdmin):
    admin_section = SHOPPING
    list_display = ("name_en", "name_es", "emoji", "position")
    list_editable = ("position",)
    search_fields = ("name_en", "name_es", "keywords__keyword")
    inlines = [AisleKeywordInline]


@admin.register(AisleKeyword)
class AisleKeywordAdmin(admin.ModelAdmin):
    admin_section = SHOPPING
    list_display = ("keyword", "aisle")
    list_filter = ("aisle",)
    search_fields = ("keyword",)


class ChoreAssigneeInline(admin.TabularInline):
    model = ChoreAssignee
    extra = 1


class ChoreCompletionInline(admin.TabularInline):
    model = ChoreCompletion
    extra = 0
    can_delete = False
    fields = ("completed_at", "kind", "member", "assignee", "due_date")
    readonly_fields = fields
    ordering = ("-completed_at",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Chore)
class ChoreAdmin(admin.ModelAdmin):
    admin_section = CHORES
    list_display = ("title", "aliases", "recurrence", "strategy", "assignee_names", "current_assignee", "next_due")
    list_filter = ("is_active", "strategy", "basis", "current_assignee")
    search_fields = ("title", "aliases")
    inlines = [ChoreAssigneeInline, ChoreCompletionInline]
    actions = ["complete_now"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Chore]:
        return super().get_queryset(request).select_related("current_assignee").prefetch_related("assignments__member")

    @admin.display(description=_("assignees"))
    def assignee_names(self, obj: Chore) -> str:
        return ", ".join(a.member.name for a in obj.assignments.all())

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        chore: Chore = form.instance
        first = chore.assignments.select_related("member").first()
        on_duty = {a.member_id for a in chore.assignments.all()}
        # A chore made or re-staffed here needs someone on duty: the first assignee, in turn order.
        if first is not None and chore.current_assignee_id not in on_duty:
            chore.current_assignee = first.member
            chore.save(update_fields=["current_assignee"])

    @admin.action(description=_("Complete now (rotates the turn)"))
    def complete_now(self, request: HttpRequest, queryset: QuerySet[Chore]) -> None:
        member = getattr(request.user, "member", None)
        for chore in queryset:
            chore_complete(chore=chore, member=member, today=selectors.local_today(member))
        self.message_user(
            request, ngettext("%d chore completed.", "%d chores completed.", len(queryset)) % len(queryset)
        )


@admin.register(ChoreCompletion)
class ChoreCompletionAdmin(admin.ModelAdmin):
    admin_section = CHORES
    list_display = ("chore", "kind", "member", "assignee", "due_date", "completed_at")
    list_filter = ("kind", "chore", "member")
    search_fields = ("chore__title", "member__name")
    date_hierarchy = "completed_at"


@admin.register(ChoreReminder)
class ChoreReminderAdmin(admin.ModelAdmin):
    admin_section = CHORES
    list_display = ("member", "local_date", "message", "created_at")
    list_filter = ("member",)
    search_fields = ("member__name",)
    readonly_fields = ("member", "local_date", "message", "created_at")


@admin.register(ListChange)
class ListChangeAdmin(admin.ModelAdmin):
    admin_section = SHOPPING
    list_display = ("created_at", "member", "action", "shopping_list", "undone_at")
    list_filter = ("action", "member")
    search_fields = ("member__name",)
    readonly_fields = ("member", "shopping_list", "action", "payload", "created_at", "undone_at")


# --- dashboard cards (alfred.dashboard) ---------------------------------------------------------------


@card("chores_today", order=10, permission="home_skills.view_chore")
def chores_due_today(request: HttpRequest) -> Card:
    today = selectors.local_today(None)
    due = selectors.chores_due_on(today, today=today)
    lines = [
        Line(
            f"{chore.title} — {occurrence.assignee.name if occurrence.assignee else _('nobody')}"
            + (f" ({_('overdue')})" if occurrence.day < today else ""),
            reverse("admin:home_skills_chore_change", args=[chore.pk]),
        )
        for chore, occurrence in due[:8]
    ]
    return Card(
        title=str(_("Chores due today")),
        value=str(len(due)),
        lines=lines,
        url=changelist("home_skills.chore", f"is_active__exact=1&next_due__lte={today.isoformat()}"),
        tone="" if due else "muted",
    )


@card("open_items", order=20, permission="home_skills.view_item")
def open_items(request: HttpRequest) -> Card:
    lists = (
        ShoppingList.objects.annotate(open_count=Count("items", filter=Q(items__state=ItemState.OPEN)))
        .filter(open_count__gt=0)
        .order_by("-is_default", "name")
    )
    lines = [
        Line(
            f"{sl.name}: {sl.open_count}",
            changelist("home_skills.item", f"shopping_list__id__exact={sl.pk}&state__exact=open"),
        )
        for sl in lists[:8]
    ]
    total = sum(sl.open_count for sl in lists)
    return Card(
        title=str(_("Open list items")),
        value=str(total),
        lines=lines,
        url=changelist("home_skills.item", "state__exact=open"),
        tone="" if total else "muted",
    )
