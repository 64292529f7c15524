"""The sweeper: what a down broker or a dead worker left behind is queued again, every minute (beat).

Enqueueing twice is harmless: handling and sending both claim their row first.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from celery import shared_task
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from alfred.handling import message_handle_task
from alfred.models import Direction, Message, Status
from alfred.outbox import outbound_deliver_task
from alfred.publisher import publish_now

if TYPE_CHECKING:
    from alfred.publisher import RowTask

logger = logging.getLogger(__name__)

# Rows queued again per run; a backlog larger than this drains over the following runs.
BATCH = 500


@shared_task(name="alfred.tasks.sweep_stuck", acks_late=True, reject_on_worker_lost=True)
def sweep_stuck_task() -> None:
    sweep_stuck()


@dataclass
class SweepReport:
    inbound_requeued: int = 0
    outbound_requeued: int = 0
    outbound_abandoned: int = 0


def _publish(task: "RowTask", message_id: int) -> None:
    publish_now(task, [message_id])


def sweep_stuck(*, now: datetime | None = None, enqueue: "Callable[[RowTask, int], None]" = _publish) -> SweepReport:
    """Re-enqueue rows left in ``received``/``queued`` (or in ``handling`` past the lease)."""
    now = now or timezone.now()
    waited = now - timedelta(seconds=settings.ALFRED_SWEEP_AFTER_SECONDS)
    lease_expired = now - timedelta(seconds=settings.ALFRED_HANDLING_LEASE_SECONDS)
    report = SweepReport()
    inbound = Message.objects.filter(direction=Direction.INBOUND).filter(
        Q(status=Status.RECEIVED, created_at__lte=waited) | Q(status=Status.HANDLING, claimed_at__lt=lease_expired)
    )
    for message_id in inbound.values_list("id", flat=True)[:BATCH]:
        enqueue(message_handle_task, message_id)
        report.inbound_requeued += 1
    outbound = Message.objects.filter(direction=Direction.OUTBOUND, status=Status.QUEUED).filter(
        Q(next_attempt_at__isnull=True, created_at__lte=waited) | Q(next_attempt_at__lte=now)
    )
    for message_id in outbound.values_list("id", flat=True)[:BATCH]:
        enqueue(outbound_deliver_task, message_id)
        report.outbound_requeued += 1
    # A send that started and never finished may or may not have reached the provider. Sending again
    # could answer twice, so it is marked failed and shown in the admin instead.
    report.outbound_abandoned = Message.objects.filter(
        direction=Direction.OUTBOUND, status=Status.SENDING, claimed_at__lt=lease_expired
    ).update(status=Status.FAILED, error="send interrupted; outcome unknown, not retried to avoid a duplicate")
    if report.inbound_requeued or report.outbound_requeued or report.outbound_abandoned:
        logger.info("sweeper: %s", report)
    return report
