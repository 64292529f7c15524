"""Worker liveness and the sweeper: a message held by a dead worker is taken back at the next sweep, not after
the lease; a live worker, or one whose liveness cannot be read, keeps its claims; a backlog is not flooded
with duplicates; a long backlog is not cut at a batch size."""

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone

from alfred import liveness
from alfred.handling import inbound_claim
from alfred.models import Direction, Message, Status
from alfred.sweeper import broker_queue_depth, sweep_stuck
from tests.core.test_inbox import outbound_row, record

pytestmark = pytest.mark.django_db

DEAD = "host:4242:deadbeef"
LIVE = "host:4343:cafecafe"
NO_BACKLOG = lambda: 0  # noqa: E731


@pytest.fixture
def live_worker() -> Iterator[str]:
    cache.set(f"alive:{LIVE}", 1, timeout=60)
    yield LIVE
    cache.delete(f"alive:{LIVE}")


def handling_by(member, claimant: str, provider_id: str) -> Message:  # type: ignore[no-untyped-def]
    message, _ = record(member, provider_id=provider_id)
    Message.objects.filter(pk=message.pk).update(status=Status.HANDLING, claimed_at=timezone.now(), claimed_by=claimant)
    return message


class Enqueued(list[tuple[str, int]]):
    def __call__(self, task, ids: list[int]) -> None:  # type: ignore[no-untyped-def]
        self.extend((task.name, pk) for pk in ids)


def test_a_message_held_by_a_dead_worker_is_taken_back_at_once_and_a_live_workers_is_not(member, live_worker):
    orphan = handling_by(member, DEAD, "wamid.orphan")
    held = handling_by(member, live_worker, "wamid.held")
    enqueued = Enqueued()

    report = sweep_stuck(enqueue=enqueued, queue_depth=NO_BACKLOG)

    assert report.inbound_orphaned == 1
    assert enqueued == [("alfred.tasks.message_handle", orphan.pk)]
    orphan.refresh_from_db()
    held.refresh_from_db()
    assert (orphan.status, orphan.claimed_by) == (Status.RECEIVED, "")
    assert (held.status, held.claimed_by) == (Status.HANDLING, LIVE)
    # The next worker claims it at once; the claim records who holds it now.
    assert inbound_claim(orphan.pk) is not None


def test_when_liveness_cannot_be_read_the_lease_rules(member):
    orphan = handling_by(member, DEAD, "wamid.unknown")
    enqueued = Enqueued()
    unreachable = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}

    with override_settings(CACHES={"default": {**unreachable, "OPTIONS": {"socket_connect_timeout": 0.2}}}):
        report = sweep_stuck(enqueue=enqueued, queue_depth=NO_BACKLOG)

    assert (report.inbound_orphaned, enqueued) == (0, [])
    orphan.refresh_from_db()
    assert orphan.status == Status.HANDLING


def test_a_claim_without_a_claimant_waits_for_the_lease(member):
    message = handling_by(member, "", "wamid.inline")

    assert sweep_stuck(enqueue=Enqueued(), queue_depth=NO_BACKLOG).inbound_orphaned == 0
    later = timezone.now() + timedelta(seconds=301)
    assert sweep_stuck(now=later, enqueue=(enqueued := Enqueued()), queue_depth=NO_BACKLOG).inbound_requeued == 1
    assert enqueued == [("alfred.tasks.message_handle", message.pk)]


def test_an_interrupted_send_of_a_dead_worker_is_failed_at_once_and_a_live_ones_is_left(member, live_worker):
    dead_send, live_send = outbound_row(member), outbound_row(member)
    for row, claimant in ((dead_send, DEAD), (live_send, live_worker)):
        Message.objects.filter(pk=row.pk).update(status=Status.SENDING, claimed_at=timezone.now(), claimed_by=claimant)

    report = sweep_stuck(enqueue=Enqueued(), queue_depth=NO_BACKLOG)

    assert report.outbound_abandoned == 1
    assert Message.objects.get(pk=dead_send.pk).status == Status.FAILED
    assert Message.objects.get(pk=live_send.pk).status == Status.SENDING


def test_rows_waiting_in_a_backlog_are_not_enqueued_again_until_the_lease(member, settings):
    record(member, provider_id="wamid.backlog")
    after_sweep_wait = timezone.now() + timedelta(seconds=settings.ALFRED_SWEEP_AFTER_SECONDS + 1)
    after_lease = timezone.now() + timedelta(seconds=settings.ALFRED_HANDLING_LEASE_SECONDS + 1)

    in_backlog = sweep_stuck(now=after_sweep_wait, enqueue=Enqueued(), queue_depth=lambda: 40)
    no_backlog = sweep_stuck(now=after_sweep_wait, enqueue=Enqueued(), queue_depth=NO_BACKLOG)
    long_backlog = sweep_stuck(now=after_lease, enqueue=Enqueued(), queue_depth=lambda: 40)

    assert (in_backlog.inbound_requeued, no_backlog.inbound_requeued, long_backlog.inbound_requeued) == (0, 1, 1)


def test_a_long_list_of_stuck_rows_is_enqueued_whole(member, settings):
    conversation = record(member, provider_id="wamid.first")[0].conversation
    Message.objects.bulk_create(
        Message(
            direction=Direction.INBOUND,
            channel=conversation.channel,
            conversation=conversation,
            sender=member,
            provider_message_id=f"wamid.stuck.{n}",
            text="ping",
            status=Status.RECEIVED,
        )
        for n in range(700)
    )
    enqueued = Enqueued()

    sweep_stuck(now=timezone.now() + timedelta(minutes=5), enqueue=enqueued, queue_depth=NO_BACKLOG)

    assert len(enqueued) == 701  # the sweeper used to stop at 500 per run


def test_a_worker_heartbeat_marks_its_claims_and_keeps_it_alive(member):
    assert liveness.claimant() == ""  # no heartbeat in this process: claims are left to the lease
    liveness.start_heartbeat()
    try:
        message, _ = record(member, provider_id="wamid.beating")
        claimed = inbound_claim(message.pk)
        assert claimed is not None and claimed.claimed_by == liveness.process_id()
        assert liveness.dead_among([liveness.process_id(), DEAD]) == {DEAD}
    finally:
        liveness.stop_heartbeat()
        cache.delete(f"alive:{liveness.process_id()}")


def test_the_sweeper_reads_the_depth_of_the_instances_own_queue_on_the_real_broker():
    from settings.celery import app

    app.control.purge()
    before = broker_queue_depth()
    for n in range(3):
        app.send_task("alfred.tasks.message_handle", args=[10**9 + n])

    assert (before, broker_queue_depth()) == (0, 3)
    app.control.purge()
