"""Shopping lists, aisles, chores and their history: the family's data on Alfred-Home."""

from datetime import date, datetime, time
from typing import ClassVar

from dateutil.rrule import rrule, rrulestr
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alfred.models import Member, Message
from alfred.rules.text import name_key, simplify


def split_aliases(value: str) -> list[str]:
    return [alias.strip() for alias in (value or "").split(",") if alias.strip()]


ALLOWED_FREQUENCIES = frozenset({"DAILY", "WEEKLY", "MONTHLY", "YEARLY"})


def recurrence_normalise(value: str | None) -> str:
    """A valid RRULE, at most daily (an hourly chore is a typo), upper case; "" = one-off. Raises ValueError."""
    text = (value or "").strip().upper()
    if text.startswith("RRULE:"):
        text = text[len("RRULE:") :]
    if not text:
        return ""
    parts = dict(part.split("=", 1) for part in text.split(";") if "=" in part)
    if parts.get("FREQ") not in ALLOWED_FREQUENCIES:
        raise ValueError(f"unsupported recurrence {value!r}")
    start = datetime(2024, 1, 1)
    try:
        rule = rrulestr(text, dtstart=start)
    except (ValueError, TypeError):
        raise ValueError(f"unreadable recurrence {value!r}") from None
    if not isinstance(rule, rrule) or rule.after(start) is None:
        raise ValueError(f"recurrence {value!r} never happens")
    return text


class ShoppingList(models.Model):
    """A named list ("groceries", "pharmacy"…). Exactly one is the default for messages that name none."""

    name = models.CharField(max_length=60, unique=True, help_text=_("Lower case, e.g. groceries, pharmacy."))
    aliases = models.CharField(
        max_length=300, blank=True, help_text=_("Comma-separated other names, any language (e.g. farmacia).")
    )
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["-is_default", "name"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_list"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        self.name = " ".join(self.name.lower().split())
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def alias_list(self) -> list[str]:
        return split_aliases(self.aliases)


class Aisle(models.Model):
    """Where an item is in the shop; the list is shown grouped by aisle, in ``position`` order."""

    name_en = models.CharField(max_length=60, unique=True)
    name_es = models.CharField(max_length=60)
    emoji = models.CharField(max_length=8, blank=True)
    position = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering: ClassVar = ["position", "name_en"]

    def __str__(self) -> str:
        return self.name_en

    def label(self, language: str) -> str:
        name = self.name_es if language == "es" else self.name_en
        return f"{self.emoji} {name}".strip()


class AisleKeyword(models.Model):
    """One word or phrase of the built-in (and editable) en + es dictionary that puts an item in an aisle."""

    keyword = models.CharField(max_length=80, unique=True, help_text=_("Stored normalised (singular, no accents)."))
    aisle = models.ForeignKey(Aisle, on_delete=models.CASCADE, related_name="keywords")

    class Meta:
        ordering: ClassVar = ["keyword"]

    def __str__(self) -> str:
        return self.keyword

    def save(self, *args: object, **kwargs: object) -> None:
        self.keyword = name_key(self.keyword)
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class Unit(models.TextChoices):
    KG = "kg", "kg"
    G = "g", "g"
    L = "l", "l"
    ML = "ml", "ml"
    LOAF = "loaf", "loaf"
    PACK = "pack", "pack"
    BOTTLE = "bottle", "bottle"
    CAN = "can", "can"
    BOX = "box", "box"
    BAG = "bag", "bag"
    JAR = "jar", "jar"


class ItemState(models.TextChoices):
    OPEN = "open", _("to buy")
    BOUGHT = "bought", _("bought")
    CLEARED = "cleared", _("cleared (archived)")
    REMOVED = "removed", _("removed")


class Item(models.Model):
    """A line on a list. Bought items are checked off, not deleted; "clear bought" archives them."""

    shopping_list = models.ForeignKey(ShoppingList, on_delete=models.CASCADE, related_name="items")
    # Any text the family writes is kept as text (names with quotes, tags or 500 characters included).
    name = models.TextField()
    normalised_name = models.CharField(max_length=500, db_index=True, editable=False)
    quantity = models.DecimalField(max_digits=12, decimal_places=3, default=1)
    unit = models.CharField(max_length=8, choices=Unit.choices, blank=True)
    aisle = models.ForeignKey(Aisle, on_delete=models.SET_NULL, null=True, blank=True, related_name="items")
    note = models.CharField(max_length=200, blank=True)
    state = models.CharField(max_length=8, choices=ItemState.choices, default=ItemState.OPEN, db_index=True)
    added_by = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)
    bought_at = models.DateTimeField(null=True, blank=True)
    bought_by = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering: ClassVar = ["added_at", "id"]
        constraints: ClassVar = [
            # Merge, don't duplicate: one open line per name and list, even when two people add at once.
            models.UniqueConstraint(
                fields=["shopping_list", "normalised_name"],
                condition=Q(state="open"),
                name="one_open_item_per_name",
            ),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="item_quantity_positive"),
        ]

    def __str__(self) -> str:
        return self.name[:80]

    def save(self, *args: object, **kwargs: object) -> None:
        self.normalised_name = name_key(self.name)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def clean(self) -> None:
        # The unique constraint is on a field forms do not show, so Django would not check it: say it here
        # instead of failing on save (the chat and the API merge; a form asks for the existing line).
        self.normalised_name = name_key(self.name)
        if self.state == ItemState.OPEN and self.shopping_list_id is not None:
            twins = Item.objects.filter(
                shopping_list_id=self.shopping_list_id, normalised_name=self.normalised_name, state=ItemState.OPEN
            ).exclude(pk=self.pk)
            if twins.exists():
                raise ValidationError({"name": _("This item is already on the list: change that line instead.")})


class ListChange(models.Model):
    """One change a member made to the lists, with what is needed to revert it ("undo")."""

    class Action(models.TextChoices):
        ADD = "add", _("add")
        REMOVE = "remove", _("remove")
        BOUGHT = "bought", _("bought")
        CLEAR = "clear", _("clear bought")

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    # Empty when one change touched lines of several lists ("got the milk and the plasters").
    shopping_list = models.ForeignKey(
        ShoppingList, on_delete=models.CASCADE, null=True, blank=True, related_name="changes"
    )
    action = models.CharField(max_length=8, choices=Action.choices)
    # [{"item": id, "created": bool, "before": {field: value}}]: the state to restore, per item.
    payload = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.member} {self.action} {self.shopping_list}"


class Chore(models.Model):
    """A household task that comes back (an RRULE), done by its assignees in turn."""

    class Basis(models.TextChoices):
        DUE_DATE = "due", _("due date (keeps the calendar)")
        COMPLETION = "completion", _("completion date (counts from when it was done)")

    class Strategy(models.TextChoices):
        FIXED = "fixed", _("fixed (always the first assignee)")
        ROUND_ROBIN = "round_robin", _("round-robin (in turn)")
        FEWEST = "fewest", _("fewest completions first")

    title = models.CharField(max_length=100)
    aliases = models.CharField(
        max_length=300, blank=True, help_text=_("Comma-separated other names, English and Spanish.")
    )
    recurrence = models.CharField(
        max_length=200,
        blank=True,
        help_text=_("An RRULE, e.g. FREQ=DAILY, FREQ=WEEKLY;BYDAY=MO,TH, FREQ=WEEKLY;INTERVAL=2, FREQ=MONTHLY. "),
    )
    basis = models.CharField(max_length=10, choices=Basis.choices, default=Basis.DUE_DATE)
    strategy = models.CharField(max_length=12, choices=Strategy.choices, default=Strategy.FIXED)
    assignees: "models.ManyToManyField[Member, ChoreAssignee]" = models.ManyToManyField(
        Member, through="ChoreAssignee", related_name="chores", blank=True
    )
    current_assignee = models.ForeignKey(
        Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="current_chores"
    )
    # The first day of the schedule; completion-basis chores move it to each completion date.
    anchor = models.DateField(default=timezone.localdate)
    next_due = models.DateField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["next_due", "title"]
        constraints: ClassVar = [models.UniqueConstraint(Lower("title"), name="chore_title_unique_ci")]

    def __str__(self) -> str:
        return self.title

    def alias_list(self) -> list[str]:
        return split_aliases(self.aliases)

    def clean(self) -> None:
        try:
            self.recurrence = recurrence_normalise(self.recurrence)
        except ValueError:
            raise ValidationError(
                {"recurrence": _("Not a recurrence I can use. Examples: FREQ=DAILY, FREQ=WEEKLY;BYDAY=MO,TH.")}
            ) from None
        if self.is_active and self.next_due is None and self.anchor is not None:
            self.next_due = self.first_due_from(self.anchor)

    def first_due_from(self, day: date) -> date:
        """The first occurrence on or after ``day`` (``day`` itself for a one-off)."""
        if not self.recurrence:
            return day
        rule = rrulestr(self.recurrence, dtstart=datetime.combine(day, time()))
        found = rule.after(datetime.combine(day, time()), inc=True) if isinstance(rule, rrule) else None
        return found.date() if found else day

    def names(self) -> list[str]:
        """Title and aliases, simplified (folded, no punctuation)."""
        return [simplify(name) for name in [self.title, *self.alias_list()] if simplify(name)]


class ChoreAssignee(models.Model):
    chore = models.ForeignKey(Chore, on_delete=models.CASCADE, related_name="assignments")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(default=0, help_text=_("Order of the round-robin."))

    class Meta:
        ordering: ClassVar = ["position", "id"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["chore", "member"], name="chore_assignee_once"),
        ]

    def __str__(self) -> str:
        return f"{self.member} · {self.chore}"


class ChoreCompletion(models.Model):
    """The history: each occurrence done (by whom) or skipped."""

    class Kind(models.TextChoices):
        DONE = "done", _("done")
        SKIPPED = "skipped", _("skipped")

    chore = models.ForeignKey(Chore, on_delete=models.CASCADE, related_name="completions")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.DONE)
    member = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # Who was on duty for the occurrence (may differ from who did it).
    assignee = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    due_date = models.DateField(null=True, blank=True)
    completed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["-completed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.chore} {self.kind} {self.completed_at:%Y-%m-%d}"


class ChoreReminder(models.Model):
    """Marks the morning reminder as recorded for one member and local day: never two on the same day."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    local_date = models.DateField()
    message = models.ForeignKey(Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["-local_date"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["member", "local_date"], name="one_reminder_per_member_day"),
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.local_date}"


class CalendarBlock(models.Model):
    """A span of time the parent is busy, from biz's signed nightly document (README "Calendar bridge").
    Home never learns what, with whom or where: the document has nothing else. Replaced whole by each
    import that verifies; a rejected document changes nothing."""

    start = models.DateTimeField()
    end = models.DateTimeField()
    all_day = models.BooleanField(default=False)
    tz = models.CharField(max_length=64, default="UTC")

    objects: ClassVar["models.Manager[CalendarBlock]"] = models.Manager()

    class Meta:
        ordering: ClassVar = ["start"]

    def __str__(self) -> str:
        return f"{self.start:%Y-%m-%d %H:%M} – {self.end:%Y-%m-%d %H:%M}"


class CalendarBridge(models.Model):
    """The one row saying what the busy blocks are: the last good document's times, and the last attempt."""

    generated_at = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    imported_at = models.DateTimeField(null=True, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    # Why the last attempt was refused (never the document's content); "" after a good one.
    last_error = models.CharField(max_length=300, blank=True)

    objects: ClassVar["models.Manager[CalendarBridge]"] = models.Manager()

    def __str__(self) -> str:
        return f"calendar bridge, generated {self.generated_at}"
