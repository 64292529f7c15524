"""Reads for the CRM: finding a company from what someone typed, deals by company, stage and close date,
contacts, and pipeline totals. Keyword-only, typed, named ``<entity>_<action>``."""

import difflib
import re
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Literal

from django.db.models import Count, Sum
from django.utils import timezone

from alfred.members import member_reach
from alfred.models import Member
from alfred.rules.text import simplify
from work_skills.mail import Email
from work_skills.models import OPEN_STAGES, Company, Contact, Deal, InboxDigest, Note, Stage

Period = Literal["this_week", "next_week", "this_month", "next_month", "this_quarter", "next_quarter", "this_year"]
PERIODS: tuple[Period, ...] = (
    "this_week",
    "next_week",
    "this_month",
    "next_month",
    "this_quarter",
    "next_quarter",
    "this_year",
)

# Words around a company name that are not the name: "the Acme deal", "ACME's account", "lo de Acme".
FRAME_WORDS = frozenset(
    """the a an our my their deal deals account opportunity opp contract trato tratos acuerdo oportunidad
    contrato cuenta cliente el la los las lo de del con""".split()
)
# Legal forms: "Acme" names "Acme Corp" as well as "Acme, Inc." does.
LEGAL_FORMS = frozenset("corp corporation inc ltd llc plc co company gmbh sa sl sas srl bv ag group".split())
# A typo still finds the company ("acmee", "globx"); below this it is only "the closest".
MATCH_CUTOFF = 0.8
# Two companies scoring this close are both candidates: Alfred asks which one.
TIE_MARGIN = 0.02


def name_words(text: str, *, legal: bool = False) -> list[str]:
    """The words of a company reference, without possessives or frame words; legal forms dropped too
    unless ``legal`` (when nothing else is left, they stay)."""
    folded = re.sub(r"['’]s\b", "", text.lower())
    words = [w for w in simplify(folded).split() if w not in FRAME_WORDS]
    if legal:
        return words
    core = [w for w in words if w not in LEGAL_FORMS]
    return core or words


def reference_score(reference: str, name: str) -> float:
    """How well what someone typed names ``name``: 1 for the same words, 0.97 for the same distinctive words
    or some of them ("acme" for "Acme Corp"), less by spelling distance (difflib's ratio, on the whole name
    and word by word, so "acmee" still finds "Acme Corp")."""
    core, target = name_words(reference), name_words(name)
    if not core or not target:
        return 0.0
    if name_words(reference, legal=True) == name_words(name, legal=True):
        return 1.0
    if all(word in target for word in core):
        return 0.97
    whole = difflib.SequenceMatcher(None, " ".join(core), " ".join(target)).ratio()
    per_word = sum(max(difflib.SequenceMatcher(None, word, other).ratio() for other in target) for word in core)
    return min(0.95, max(whole, per_word / len(core) * 0.95))


@dataclass
class CompanyMatch:
    """What a reference finds: one company, several candidates (ask which), or none (with the closest)."""

    company: Company | None = None
    candidates: list[Company] = field(default_factory=list)
    closest: Company | None = None


def company_match(reference: str) -> CompanyMatch:
    """The company a member means by ``reference`` ("acme", "ACME's deal", "Globx"), names and aliases."""
    scored: list[tuple[float, Company]] = []
    for company in Company.objects.all():
        best = max(reference_score(reference, name) for name in company.names())
        scored.append((best, company))
    if not scored:
        return CompanyMatch()
    scored.sort(key=lambda pair: (-pair[0], pair[1].name))
    top = scored[0][0]
    if top < MATCH_CUTOFF:
        return CompanyMatch(closest=scored[0][1])
    close = [company for score, company in scored if score >= MATCH_CUTOFF and top - score < TIE_MARGIN]
    if len(close) > 1:
        return CompanyMatch(candidates=close)
    return CompanyMatch(company=close[0])


def member_zone(member: Member | None) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(member.timezone if member else "Europe/Madrid")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("Europe/Madrid")


def local_today(member: Member | None, *, now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(member_zone(member)).date()


def month_start(day: date, *, months_later: int = 0) -> date:
    index = day.year * 12 + day.month - 1 + months_later
    return date(index // 12, index % 12 + 1, 1)


def period_range(period: Period, *, today: date) -> tuple[date, date]:
    """The first and last day of a period around ``today`` (weeks start on Monday)."""
    if period in ("this_week", "next_week"):
        start = today - timedelta(days=today.weekday()) + timedelta(weeks=1 if period == "next_week" else 0)
        return start, start + timedelta(days=6)
    if period in ("this_month", "next_month"):
        start = month_start(today, months_later=1 if period == "next_month" else 0)
        return start, month_start(start, months_later=1) - timedelta(days=1)
    if period in ("this_quarter", "next_quarter"):
        first = month_start(today, months_later=-((today.month - 1) % 3))
        start = month_start(first, months_later=3 if period == "next_quarter" else 0)
        return start, month_start(start, months_later=3) - timedelta(days=1)
    return date(today.year, 1, 1), date(today.year, 12, 31)


def deals_of(company: Company) -> list[Deal]:
    """A company's deals, open ones first, each by close date."""
    deals = list(company.deals.select_related("owner").order_by("expected_close", "id"))
    return sorted(deals, key=lambda deal: not deal.is_open)


def deals_closing(*, start: date, end: date) -> list[Deal]:
    """Open deals expected to close between ``start`` and ``end``, both included."""
    return list(
        Deal.objects.filter(stage__in=OPEN_STAGES, expected_close__range=(start, end))
        .select_related("company", "owner")
        .order_by("expected_close", "company__name", "id")
    )


def contacts_of(company: Company) -> list[Contact]:
    return list(company.contacts.order_by("name"))


def note_latest(company: Company) -> Note | None:
    return company.notes.select_related("author").first()


@dataclass(frozen=True)
class StageTotal:
    stage: Stage
    deals: int
    # Amounts are never added across currencies: currency → sum.
    amounts: dict[str, Decimal]


def pipeline_totals() -> list[StageTotal]:
    """Per stage, in pipeline order: how many deals and their amounts per currency (empty stages left out)."""
    counts: dict[str, int] = defaultdict(int)
    amounts: dict[str, dict[str, Decimal]] = defaultdict(dict)
    rows = Deal.objects.values("stage", "currency").annotate(deals=Count("id"), total=Sum("amount"))
    for row in rows.order_by("stage", "currency"):
        counts[row["stage"]] += row["deals"]
        if row["total"] is not None:
            amounts[row["stage"]][row["currency"]] = row["total"]
    return [
        StageTotal(stage=stage, deals=counts[stage.value], amounts=amounts[stage.value])
        for stage in Stage
        if counts[stage.value]
    ]


# --- The work inbox -----------------------------------------------------------------------------------

# How much of an email is searched for a company name: the subject and the start of the text say it.
MENTION_CHARS = 2000
URGENT_WORDS = re.compile(
    r"(?<![a-z])(?:urgent|urgently|asap|important|deadline|urgente|importante|cuanto antes)(?![a-z])"
)


@dataclass(frozen=True)
class RankedEmail:
    """An email with why it ranks where it does: a CRM contact wrote it, or it names a company with an open
    deal (``company``); a person (``bulk`` False); or a newsletter or machine (``bulk``)."""

    email: Email
    company: str | None
    contact: str | None
    urgent: bool

    @property
    def tier(self) -> int:
        if self.contact or self.company:
            return 0
        return 2 if self.email.bulk else 1

    @property
    def important(self) -> bool:
        return self.tier == 0 or (self.urgent and not self.email.bulk)


def inbox_ranked(emails: list[Email]) -> list[RankedEmail]:
    """CRM first (a contact's address, then an open deal's company named in the subject or the text), then
    people, then newsletters and no-reply senders; newest first within each."""
    contacts = {
        contact.email.lower(): contact
        for contact in Contact.objects.exclude(email="").select_related("company").order_by("id")
    }
    open_companies: list[tuple[re.Pattern[str], str]] = []
    for company in Company.objects.filter(deals__stage__in=OPEN_STAGES).distinct():
        for name in company.names():
            words = name_words(name)
            if words:
                pattern = r"(?<![a-z0-9])" + r"\s+".join(map(re.escape, words)) + r"(?![a-z0-9])"
                open_companies.append((re.compile(pattern), company.name))
    ranked = []
    for one in emails:
        contact = contacts.get(one.sender_address)
        searched = simplify(f"{one.subject} {one.body[:MENTION_CHARS]}")
        named = contact.company.name if contact else next((n for p, n in open_companies if p.search(searched)), None)
        ranked.append(
            RankedEmail(
                email=one,
                company=named,
                contact=contact.name if contact else None,
                urgent=bool(URGENT_WORDS.search(searched)),
            )
        )
    # A contact's own email before one that only names a company; newest first after that.
    ranked.sort(key=lambda item: (item.tier, item.contact is None, -item.email.uid))
    return ranked


# The morning digest goes out from 08:00 local time; a beat that missed the whole window sends none that day
# (a digest at noon is no longer a morning glance).
DIGEST_HOUR = 8
DIGEST_LATEST_HOUR = 11


def inbox_digest_recipients() -> list[Member]:
    """Who gets the mailbox's digest: the owner, i.e. the active admin members."""
    return list(Member.objects.filter(is_active=True, is_admin=True))


def inbox_digests_pending(*, now: datetime | None = None) -> list[tuple[int, date]]:
    """(member id, local date) for recipients whose local morning has come, whom a channel reaches, and who
    have no digest for that day yet."""
    now = now or timezone.now()
    pending = []
    for member in inbox_digest_recipients():
        local = now.astimezone(member_zone(member))
        if not DIGEST_HOUR <= local.hour < DIGEST_LATEST_HOUR or member_reach(member) is None:
            continue
        if not InboxDigest.objects.filter(member=member, local_date=local.date()).exists():
            pending.append((member.pk, local.date()))
    return pending


def inbox_digest_last(member: Member) -> InboxDigest | None:
    """The member's latest digest that read the mailbox: where "since the last digest" starts."""
    return InboxDigest.objects.filter(member=member).exclude(uidvalidity=0).order_by("-local_date", "-id").first()
