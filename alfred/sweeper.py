"""The sweeper: what a down broker or a dead worker left behind is queued again, every
``ALFRED_SWEEP_EVERY_SECONDS`` (beat).

Enqueueing twice is harmless (handling and sending both claim their row first) but not free, so the sweeper
does not re-enqueue rows that are merely waiting in a backlog: while the queue holds messages, a row is
enqueued again only once it has waited the whole handling lease. A row claimed by a worker whose heartbeat
lapsed (``alfred.liveness``: killed, out of memory) is taken back at once.

A send interrupted by a dead worker, or whose answer never came, may or may not have reached the provider, and
no provider here takes an idempotency key. Where the provider reports every send it accepted
(``SendPolicy.confirms_sends``), the report settles it: a report moves the row on; no report within
``ALFRED_UNCONFIRMED_SEND_SECONDS`` means the send never got there, and it is queued again (up to
``ALFRED_OUTBOUND_MAX_ATTEMPTS``). Elsewhere it is failed, so that no one is answered twice.
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

from alfred.channels import UNANSWERED, channel_descriptions
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
    outbound_resent: int = 0
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
    past the lease), and settle sends that were interrupted."""
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

    # Before the queued rows are read: an interrupted send found unsent goes out with them.
    report.outbound_resent, report.outbound_abandoned = _interrupted_sends_settled(now, lease_expired)
    outbound = Message.objects.filter(direction=Direction.OUTBOUND, status=Status.QUEUED).filter(
        Q(next_attempt_at__isnull=True, created_at__lte=waited) | Q(next_attempt_at__lte=now)
    )
    to_send = list(outbound.values_list("id", flat=True))
    report.outbound_requeued = len(to_send)
    if to_send:
        enqueue(outbound_deliver_task, to_send)
    if any(count for name, count in vars(report).items() if name != "queue_depth"):
        logger.info("sweeper: %s", report)
    return report


def _interrupted_sends_settled(now: datetime, lease_expired: datetime) -> tuple[int, int]:
    """Sends that started and never finished (their worker died, or the lease ran out), and sends whose answer
    never came: queued again where the provider's silence proves they never reached it, else failed and shown
    in the admin. (resent, failed)"""
    outbound = Message.objects.filter(direction=Direction.OUTBOUND)
    sending = outbound.filter(status=Status.SENDING)
    dead_senders = dead_among(sending.exclude(claimed_by="").values_list("claimed_by", flat=True))
    interrupted = Q(status=Status.SENDING) & (Q(claimed_at__lt=lease_expired) | Q(claimed_by__in=dead_senders))
    unanswered = Q(status=Status.FAILED, error_code=UNANSWERED)
    wait = settings.ALFRED_UNCONFIRMED_SEND_SECONDS
    confirming = [c.name for c in channel_descriptions() if c.send_policy.confirms_sends] if wait > 0 else []
    retriable = Q(channel__in=confirming, attempts__lt=settings.ALFRED_OUTBOUND_MAX_ATTEMPTS)
    # Still "sending" (or failed unanswered) means no report came: a report moves the row on
    # (channels_wa/services.py), and a late one finds the row queued again and leaves it.
    resent = outbound.filter(
        (interrupted | unanswered) & retriable, claimed_at__lt=now - timedelta(seconds=wait)
    ).update(
        status=Status.QUEUED,
        next_attempt_at=now,
        claimed_by="",
        error_code="",
        error=f"the provider reported nothing within {wait}s of an unfinished send, so it never arrived: sent again",
    )
    if resent:
        logger.warning("sweeper: %d unfinished send(s) the provider never reported, queued again", resent)
    # A send that may still be reported stays "sending" until the wait is over.
    failed = outbound.filter(interrupted & ~retriable).update(
        status=Status.FAILED, error="send interrupted; outcome unknown, not retried to avoid a duplicate"
    )
    return resent, failed


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
