"""Tasks are interfaces: they take ids, re-fetch, call one service.

All three are idempotent (each claims its row before acting), which is what makes ``acks_late`` plus
``reject_on_worker_lost`` safe: a task redelivered after a worker died does nothing twice.
"""

from celery import shared_task

from alfred import services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def message_handle(message_id: int) -> None:
    services.message_handle(message_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def outbound_deliver(message_id: int) -> None:
    outcome = services.outbound_send(message_id)
    # Inline mode has no timer to wait on; the sweeper retries there instead of a busy loop.
    if outcome.retry_in is not None and not outbound_deliver.app.conf.task_always_eager:
        outbound_deliver.apply_async((message_id,), countdown=outcome.retry_in)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def sweep_stuck() -> None:
    services.sweep_stuck()
