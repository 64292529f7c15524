"""The sweeper: what a down broker or a dead worker left behind is queued again, every
``ALFRED_SWEEP_EVERY_SECONDS`` (beat).

Enqueueing twice is harmless (handling and sending both claim their row first) but not free, so the sweeper
does not re-enqueue rows that are merely waiting in a backlog: while the queue holds messages, a row is
enqueued again only once it has waited the whole handling lease. A row claimed by a worker whose heartbeat
lapsed (``alfred.liveness``: killed, out of memory) is taken back at once.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from celery import shared_task
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from alfred.handling import message_handle_task
from alfred.liveness import dead_among
from alfred.models import Direction, Message, Status
from alfred.outbox import outbound_deliver_task
from alfred.publisher import MAX_BATCH, publish_now

if TYPE_CHECKING:
    from alfred.publisher import RowTask

logger = logging.getLogger(__name__)


@shared_task(name="alfred.tasks.sweep_stuck", acks_late=True, reject_on_worker_lost=True)
def sweep_stuck_task() -> None:
    sweep_stuck()


@dataclass
class SweepReport:
    inbound_requeued: int = 0
    inbound_orphaned: int = 0
    outbound_requeued: int = 0
    outbound_abandoned: int = 0
    queue_depth: int = 0


def _publish(task: "RowTask", message_ids: list[int]) -> None:
    for start in range(0, len(message_ids), MAX_BATCH):
        publish_now(task, message_ids[start : start + MAX_BATCH])


def broker_queue_depth() -> int:
    """Messages waiting in this instance's queue; 0 when the broker cannot tell (it is down: publishing
    will fail too, and the rows wait for the next sweep)."""
    from settings.celery import app

    try:
        with app.connection_for_read() as connection:
            # The Redis transport's client adds the instance's key prefix itself. Not queue_declare(passive=True):
            # kombu looks the queue up without the prefix and answers "no queue". Alfred sets no task
            # priorities, so the queue is this one list.
            client: Any = connection.default_channel.client  # type: ignore[attr-defined]
            return int(client.llen(app.conf.task_default_queue))
    except Exception as exc:
        logger.warning("sweeper: queue depth unknown (%s)", type(exc).__name__)
        return 0


def sweep_stuck(
    *,
    now: datetime | None = None,
    enqueue: "Callable[[RowTask, list[int]], None]" = _publish,
    queue_depth: Callable[[], int] = broker_queue_depth,
) -> SweepReport:
    """Take back rows of dead workers, re-enqueue rows left in ``received``/``queued`` (or in ``handling``
    past the lease), and fail sends that were interrupted."""
    now = now or timezone.now()
    report = SweepReport(queue_depth=queue_depth() if settings.REDIS_URL else 0)
    lease_expired = now - timedelta(seconds=settings.ALFRED_HANDLING_LEASE_SECONDS)
    # With a backlog the rows are most likely in it: only a row older than the lease is enqueued again then.
    waited = lease_expired if report.queue_depth else now - timedelta(seconds=settings.ALFRED_SWEEP_AFTER_SECONDS)

    orphans = _orphans_released()
    report.inbound_orphaned = len(orphans)
    inbound = Message.objects.filter(direction=Direction.INBOUND).filter(
        Q(status=Status.RECEIVED, created_at__lte=waited) | Q(status=Status.HANDLING, claimed_at__lt=lease_expired)
    )
    requeued = list(inbound.values_list("id", flat=True))
    report.inbound_requeued = len(requeued)
    to_handle = sorted(set(orphans) | set(requeued))
    if to_handle:
        enqueue(message_handle_task, to_handle)

    outbound = Message.objects.filter(direction=Direction.OUTBOUND, status=Status.QUEUED).filter(
        Q(next_attempt_at__isnull=True, created_at__lte=waited) | Q(next_attempt_at__lte=now)
    )
    to_send = list(outbound.values_list("id", flat=True))
    report.outbound_requeued = len(to_send)
    if to_send:
        enqueue(outbound_deliver_task, to_send)
    # A send that started and never finished (its worker died, or the lease ran out) may or may not have
    # reached the provider. Sending again could answer twice, so it is marked failed and shown in the admin.
    sending = Message.objects.filter(direction=Direction.OUTBOUND, status=Status.SENDING)
    dead_senders = dead_among(sending.exclude(claimed_by="").values_list("claimed_by", flat=True))
    report.outbound_abandoned = sending.filter(Q(claimed_at__lt=lease_expired) | Q(claimed_by__in=dead_senders)).update(
        status=Status.FAILED, error="send interrupted; outcome unknown, not retried to avoid a duplicate"
    )
    if report.inbound_requeued or report.inbound_orphaned or report.outbound_requeued or report.outbound_abandoned:
        logger.info("sweeper: %s", report)
    return report


def _orphans_released() -> list[int]:
    """Inbound rows whose claiming worker is dead, put back to ``received``; their ids."""
    claims = list(
        Message.objects.filter(direction=Direction.INBOUND, status=Status.HANDLING)
        .exclude(claimed_by="")
        .values_list("id", "claimed_by")
    )
    dead = dead_among(process for _, process in claims)
    if not dead:
        return []
    ids = [message_id for message_id, process in claims if process in dead]
    # Conditional on the same dead claimant: a row another worker took meanwhile stays with it.
    Message.objects.filter(id__in=ids, status=Status.HANDLING, claimed_by__in=dead).update(
        status=Status.RECEIVED, claimed_by=""
    )
    logger.warning("sweeper: %d message(s) of %d dead worker(s) taken back", len(ids), len(dead))
    return ids
