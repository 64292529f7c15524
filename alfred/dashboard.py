"""The cards on the admin index. Each card is a function registered under a key; a skill app registers its
own from its ``admin.py`` (which the admin imports at start), so the core never names a skill.

A key can be registered again to replace a card: the core holds a "Calendar bridge" card that says "not
configured" until the app that runs the bridge registers ``calendar_bridge`` with the real figure.

A card that fails is shown as "unavailable" (and logged), so one broken query never takes the admin down.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count, F, Q, Sum
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Line:
    text: str
    url: str = ""


@dataclass(frozen=True)
class Card:
    title: str
    # The headline figure ("3", "12,400 tokens", "not configured").
    value: str
    lines: list[Line] = field(default_factory=list)
    url: str = ""
    # "warn" when something needs a look (failures, an old bridge); "muted" when there is nothing to show.
    tone: str = ""


CardFunction = Callable[[HttpRequest], Card | None]


@dataclass(frozen=True)
class Registered:
    order: int
    function: CardFunction
    # Users without this permission do not see the card ("app_label.view_model"); empty = every staff user.
    permission: str


_cards: dict[str, Registered] = {}


def card(key: str, *, order: int, permission: str = "") -> Callable[[CardFunction], CardFunction]:
    """Register the card ``key`` (a later registration of the same key replaces it)."""

    def register(function: CardFunction) -> CardFunction:
        _cards[key] = Registered(order=order, function=function, permission=permission)
        return function

    return register


def registered() -> dict[str, Registered]:
    return dict(_cards)


def dashboard_cards(request: HttpRequest) -> list[Card]:
    shown = []
    for key, entry in sorted(_cards.items(), key=lambda item: (item[1].order, item[0])):
        if entry.permission and not request.user.has_perm(entry.permission):
            continue
        try:
            result = entry.function(request)
        except Exception:
            logger.exception("dashboard card %s failed", key)
            result = Card(title=key.replace("_", " ").capitalize(), value=_("unavailable"), tone="warn")
        if result is not None:
            shown.append(result)
    return shown


def changelist(model_label: str, query: str = "") -> str:
    app_label, model_name = model_label.split(".")
    url = reverse(f"admin:{app_label}_{model_name}_changelist")
    return f"{url}?{query}" if query else url


# --- the core's cards ------------------------------------------------------------------------------------


@card("messages_24h", order=60, permission="alfred.view_message")
def messages_last_day(request: HttpRequest) -> Card:
    from alfred.models import Direction, Message, Status

    since = timezone.now() - timedelta(hours=24)
    counts = Message.objects.filter(created_at__gte=since).aggregate(
        inbound=Count("id", filter=Q(direction=Direction.INBOUND)),
        outbound=Count("id", filter=Q(direction=Direction.OUTBOUND)),
        failed=Count("id", filter=Q(status=Status.FAILED)),
    )
    since_query = urlencode({"created_at__gte": timezone.localtime(since).isoformat(timespec="seconds")})
    return Card(
        title=_("Messages, last 24 hours"),
        value=str(counts["inbound"] + counts["outbound"]),
        lines=[
            Line(_("%(n)d in, %(m)d out") % {"n": counts["inbound"], "m": counts["outbound"]}),
            Line(
                _("%(n)d failed") % {"n": counts["failed"]},
                changelist("alfred.message", f"status__exact={Status.FAILED.value}&{since_query}"),
            ),
        ],
        url=changelist("alfred.message", since_query),
        tone="warn" if counts["failed"] else "",
    )


@card("llm_today", order=70, permission="alfred.view_llmcompletion")
def llm_today(request: HttpRequest) -> Card:
    from alfred.models import LLMCompletion

    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    totals = LLMCompletion.objects.filter(created_at__gte=start).aggregate(
        tokens=Sum(F("prompt_tokens") + F("completion_tokens")), cost=Sum("cost"), completions=Count("id")
    )
    tokens = int(totals["tokens"] or 0)
    cost = Decimal(totals["cost"] or 0).quantize(Decimal("0.0001"))
    budget = settings.ALFRED_LLM_DAILY_TOKEN_BUDGET
    lines = [Line(_("%(n)d completions, cost %(cost)s") % {"n": totals["completions"], "cost": cost})]
    if budget:
        lines.append(
            Line(
                _("%(pct)d %% of the daily budget (%(budget)s)")
                % {"pct": 100 * tokens // budget, "budget": f"{budget:,}"}
            )
        )
    if not settings.OPENAI_API_KEY:
        lines.append(Line(_("LLM not configured: rules only")))
    return Card(
        title=_("LLM today"),
        value=_("%(tokens)s tokens") % {"tokens": f"{tokens:,}"},
        lines=lines,
        url=reverse("admin:alfred_llmcompletion_usage"),
        tone="warn" if budget and tokens >= budget else "",
    )


@card("calendar_bridge", order=80)
def calendar_bridge_absent(request: HttpRequest) -> Card:
    """Replaced by the bridge's own card where the bridge is installed."""
    return Card(title=_("Calendar bridge"), value=_("not configured"), tone="muted")
