"""What the LLM may spend: a daily token budget for the instance and an hourly rate per member.

Both are checked when a turn starts, from the recorded completions (each instance has its own database,
so the budget is per instance by construction). A turn that starts within budget is allowed to finish:
the overshoot is bounded by one turn's rounds × ``ALFRED_LLM_MAX_OUTPUT_TOKENS`` plus its prompts.

A turn starts through ``turn_reserve``: under a lock on the member's row it checks the budget and stores
the turn's first completion as a placeholder before the model is asked, so a member's messages handled at
the same moment by several workers are counted one after the other: the cap lets exactly its number of
turns through, where checking alone let every concurrent turn see the same count.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from alfred.models import LLM_RESERVED, CompletionKind, LLMCompletion, Member, Message

# The error of a first round's placeholder until the model answers (a worker that died mid-call leaves it,
# and it keeps counting against the member's rate: the call may have been paid for).
RESERVED = LLM_RESERVED


def cost_estimate(*, prompt_tokens: int, completion_tokens: int) -> Decimal:
    per_input = Decimal(settings.ALFRED_LLM_COST_PER_1K_INPUT)
    per_output = Decimal(settings.ALFRED_LLM_COST_PER_1K_OUTPUT)
    cost = (prompt_tokens * per_input + completion_tokens * per_output) / 1000
    return cost.quantize(Decimal("0.000001"))


def day_start(now: datetime | None = None) -> datetime:
    """Midnight of today in the instance's time zone: the budget resets when the family's day does."""
    local = timezone.localtime(now or timezone.now())
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def tokens_used_today(now: datetime | None = None) -> int:
    used = LLMCompletion.objects.filter(created_at__gte=day_start(now)).aggregate(
        total=Sum(F("prompt_tokens") + F("completion_tokens"))
    )["total"]
    return int(used or 0)


def member_completions_last_hour(member: Member, now: datetime | None = None) -> int:
    since = (now or timezone.now()) - timedelta(hours=1)
    return LLMCompletion.objects.filter(
        kind=CompletionKind.CHAT, message__sender=member, created_at__gte=since
    ).aggregate(n=Count("id"))["n"]


@dataclass
class Refusal:
    """Why this turn may not use the LLM: ``text`` for the user, ``error`` for the message row."""

    text: str
    error: str


def budget_refusal(member: Member) -> Refusal | None:
    budget = settings.ALFRED_LLM_DAILY_TOKEN_BUDGET
    if budget > 0:
        used = tokens_used_today()
        if used >= budget:
            return Refusal(
                text=_(
                    "I have used up today’s allowance for free-form requests, so until tomorrow I only "
                    "understand the usual commands:"
                ),
                error=f"llm_budget: daily token budget spent ({used} of {budget})",
            )
    rate = settings.ALFRED_LLM_MEMBER_COMPLETIONS_PER_HOUR
    if rate > 0:
        recent = member_completions_last_hour(member)
        if recent >= rate:
            return Refusal(
                text=_(
                    "You have sent many free-form requests in the last hour, so for a while I only "
                    "understand the usual commands:"
                ),
                error=f"llm_rate: {recent} completions in the last hour (limit {rate})",
            )
    return None


def turn_reserve(member: Member, message: Message) -> Refusal | LLMCompletion:
    """The budget's verdict for a new turn, taken atomically per member: a refusal, or the placeholder of
    the turn's first completion (``Turn.record`` fills it in), which counts at once for the member's rate."""
    with transaction.atomic():
        # Turn starts of one member queue here; the count below then sees every placeholder committed
        # before. Held for one count and one insert, never during a call to the model.
        list(Member.objects.select_for_update().filter(pk=member.pk).values_list("pk", flat=True))
        refusal = budget_refusal(member)
        if refusal is not None:
            return refusal
        return LLMCompletion.objects.create(
            message=message,
            kind=CompletionKind.CHAT,
            round=1,
            model=settings.OPENAI_MODEL[:100],
            ok=False,
            error=RESERVED,
        )
