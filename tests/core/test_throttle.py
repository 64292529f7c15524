"""The per-member message rate (alfred/throttle.py): a flood is answered once with "slow down", kept, and
costs no skill or LLM work; other members go on as usual; the count is atomic in the real Redis."""

import uuid
from datetime import datetime, timedelta

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from django.utils import timezone

from alfred.channels import CONSOLE
from alfred.inbox import message_record_inbound
from alfred.models import Direction, Member, Message, Status, ToolCall
from alfred.throttle import KEEP_SECONDS, _redis, member_message_count, throttled_rank, window_key
from tests.helpers import DEAD_BROKER, all_at_once


def send(member: Member, text: str, *, at: datetime) -> Message:
    """One message from ``member`` through the inbox; inline tasks handle it when the row commits."""
    with transaction.atomic():
        message_id = message_record_inbound(
            channel=CONSOLE.name,
            provider_message_id=uuid.uuid4().hex,
            conversation_external_id=f"console:{member.pk}",
            sender=member,
            text=text,
            raw={"text": text},
            received_at=at,
        )
    assert message_id is not None
    return Message.objects.get(pk=message_id)


def replies_to(message: Message) -> list[str]:
    return list(Message.objects.filter(direction=Direction.OUTBOUND, reply_to=message).values_list("text", flat=True))


def one_minute() -> datetime:
    # All of a test's messages arrive in the same minute, whenever the test runs.
    return timezone.now().replace(second=10, microsecond=0)


@pytest.mark.django_db(transaction=True)
def test_a_flood_of_100_messages_is_kept_answered_once_with_slow_down_and_runs_no_skill(member, settings):
    settings.ALFRED_MEMBER_MESSAGES_PER_MINUTE = 20
    other = Member.objects.create(name="Leo", language="en")
    at = one_minute()

    flood = [send(member, "ping", at=at + timedelta(milliseconds=n)) for n in range(100)]
    others = send(other, "ping", at=at)

    for message in flood:
        message.refresh_from_db()
    served, throttled = flood[:20], flood[20:]
    assert all(m.status == Status.HANDLED for m in flood)  # none lost, none failed
    assert all(m.path == "rules" and replies_to(m) == ["pong"] for m in served)
    assert all(m.path == "" and m.error.startswith("throttled: message") for m in throttled)
    assert throttled[0].error == "throttled: message 21 this minute (limit 20)"
    slow_down = replies_to(throttled[0])
    assert len(slow_down) == 1 and ("minuto" if member.language == "es" else "minute") in slow_down[0]
    assert all(replies_to(m) == [] for m in throttled[1:])
    assert ToolCall.objects.filter(message__sender=member).count() == 20
    others.refresh_from_db()
    assert (others.status, others.path, replies_to(others)) == (Status.HANDLED, "rules", ["pong"])


@pytest.mark.django_db(transaction=True)
def test_the_limit_counts_by_the_minute_a_message_arrived_not_when_the_worker_gets_to_it(member, settings):
    settings.ALFRED_MEMBER_MESSAGES_PER_MINUTE = 3
    at = one_minute() - timedelta(minutes=30)  # a backlog: handled now, arrived over three minutes

    backlog = [send(member, "ping", at=at + timedelta(minutes=n % 3)) for n in range(9)]

    assert [Message.objects.get(pk=m.pk).path for m in backlog] == ["rules"] * 9


def test_concurrent_counts_in_redis_are_each_distinct_and_the_key_expires():
    assert django_settings.REDIS_URL
    at = one_minute()
    counts: list[int | None] = []

    errors = all_at_once(40, lambda: counts.append(member_message_count(7, at)))

    assert errors == []
    assert sorted(c for c in counts if c is not None) == list(range(1, 41))
    key = f"{django_settings.CACHES['default']['KEY_PREFIX']}:{window_key(7, at)}"
    assert 0 < _redis().ttl(key) <= KEEP_SECONDS


def test_without_redis_messages_are_handled_rather_than_dropped(settings):
    settings.ALFRED_MEMBER_MESSAGES_PER_MINUTE = 1
    settings.REDIS_URL = DEAD_BROKER

    assert [throttled_rank(8, one_minute()) for _ in range(3)] == [0, 0, 0]


def test_zero_means_no_limit(settings):
    settings.ALFRED_MEMBER_MESSAGES_PER_MINUTE = 0

    assert [throttled_rank(9, one_minute()) for _ in range(50)] == [0] * 50
