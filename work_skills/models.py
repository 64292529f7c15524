"""The CRM of Alfred-Biz: companies, the people there, the deals with them, and notes on both."""

from typing import TYPE_CHECKING, ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alfred.models import Member, Message

if TYPE_CHECKING:
    from django.db.models.fields.related_descriptors import RelatedManager


def split_aliases(value: str) -> list[str]:
    return [alias.strip() for alias in (value or "").split(",") if alias.strip()]


class Company(models.Model):
    """A customer or prospect. Chat finds it by name or alias, loosely (see ``selectors.company_match``)."""

    name = models.CharField(max_length=120)
    aliases = models.CharField(
        max_length=300, blank=True, help_text=_("Comma-separated other names people use, e.g. ACME, Acme Inc.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # Declared, not only inferred: mypy runs under settings.home too, where this app is not installed and
    # django-stubs would not know the manager or the reverse relations.
    objects: ClassVar["models.Manager[Company]"] = models.Manager()
    if TYPE_CHECKING:
        contacts: RelatedManager["Contact"]
        deals: RelatedManager["Deal"]
        notes: RelatedManager["Note"]

    class Meta:
        ordering: ClassVar = ["name"]
        verbose_name_plural = _("companies")
        constraints: ClassVar = [models.UniqueConstraint(Lower("name"), name="company_name_unique_ci")]

    def __str__(self) -> str:
        return self.name

    def alias_list(self) -> list[str]:
        return split_aliases(self.aliases)

    def names(self) -> list[str]:
        return [self.name, *self.alias_list()]


class Contact(models.Model):
    """A person at a company."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=120)
    role = models.CharField(max_length=120, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects: ClassVar["models.Manager[Contact]"] = models.Manager()
    if TYPE_CHECKING:
        company_id: int

    class Meta:
        ordering: ClassVar = ["company__name", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.company})"


class Stage(models.TextChoices):
    LEAD = "lead", _("lead")
    QUALIFIED = "qualified", _("qualified")
    PROPOSAL = "proposal", _("proposal")
    NEGOTIATION = "negotiation", _("negotiation")
    WON = "won", _("won")
    LOST = "lost", _("lost")


# Deals still in play; won and lost ones are history.
OPEN_STAGES = (Stage.LEAD, Stage.QUALIFIED, Stage.PROPOSAL, Stage.NEGOTIATION)


class Deal(models.Model):
    """Something we hope to sell to a company, moving through the stages."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="deals")
    title = models.CharField(max_length=200)
    stage = models.CharField(max_length=12, choices=Stage.choices, default=Stage.LEAD, db_index=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, default="EUR", help_text=_("ISO 4217 code, e.g. EUR, USD, GBP."))
    expected_close = models.DateField(null=True, blank=True, db_index=True)
    owner = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="deals")
    next_step = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects: ClassVar["models.Manager[Deal]"] = models.Manager()
    if TYPE_CHECKING:
        company_id: int
        owner_id: int | None
        notes: RelatedManager["Note"]

    class Meta:
        ordering: ClassVar = ["expected_close", "id"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0), name="deal_amount_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company} — {self.title}"

    def save(self, *args: object, **kwargs: object) -> None:
        self.currency = (self.currency or "EUR").strip().upper()
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def clean(self) -> None:
        currency = (self.currency or "").strip()
        if len(currency) != 3 or not currency.isalpha():
            raise ValidationError({"currency": _("Use a three-letter currency code, e.g. EUR.")})

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES


class Note(models.Model):
    """A dated line about a company, a deal, or both (a note on a deal is a note on its company too)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, null=True, blank=True, related_name="notes")
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, null=True, blank=True, related_name="notes")
    author = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    text = models.TextField()

    objects: ClassVar["models.Manager[Note]"] = models.Manager()
    if TYPE_CHECKING:
        company_id: int | None
        deal_id: int | None

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(company__isnull=False) | Q(deal__isnull=False), name="note_has_company_or_deal"
            ),
        ]

    def __str__(self) -> str:
        return self.text[:80]

    def clean(self) -> None:
        if self.company_id is None and self.deal_id is None:
            raise ValidationError(_("A note belongs to a company, a deal, or both."))
        deal = self.deal if self.deal_id is not None else None
        if deal is not None and self.company_id is not None and deal.company_id != self.company_id:
            raise ValidationError({"deal": _("This deal belongs to another company.")})


class InboxDigest(models.Model):
    """The morning digest of the work inbox, once per member and local day (the unique constraint makes a
    second beat run a no-op). It also remembers where the mailbox was read up to: the next digest, and a
    summary without a date, start after ``last_uid``, while the folder's ``uidvalidity`` is unchanged."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    local_date = models.DateField()
    uidvalidity = models.BigIntegerField(default=0)
    last_uid = models.BigIntegerField(default=0)
    message = models.ForeignKey(Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects: ClassVar["models.Manager[InboxDigest]"] = models.Manager()
    if TYPE_CHECKING:
        member_id: int

    class Meta:
        ordering: ClassVar = ["-local_date", "-id"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["member", "local_date"], name="one_inbox_digest_per_member_day"),
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.local_date}"


class CalendarEvent(models.Model):
    """An event the owner enters in the admin, beside the ICS feeds (``ALFRED_CALENDAR_ICS_URLS``). Only its
    times leave biz, as a busy block in the nightly bridge export; the rest stays here."""

    title = models.CharField(max_length=200)
    start = models.DateTimeField()
    end = models.DateTimeField()
    all_day = models.BooleanField(
        default=False, help_text=_("Busy for whole days: from the start's date to the end's date, both included.")
    )
    # Free time the owner wants to see on the agenda without blocking it ("hold", "tentative lunch").
    busy = models.BooleanField(default=True, help_text=_("Exported to home as busy time."))
    location = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True)

    objects: ClassVar["models.Manager[CalendarEvent]"] = models.Manager()

    class Meta:
        ordering: ClassVar = ["start"]
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="calendar_event_ends_after_start"),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.start and self.end and self.end < self.start:
            raise ValidationError({"end": _("The event ends before it starts.")})
