"""Tasks are interfaces: they take ids, re-fetch, call one service.

All of them are idempotent (each claims its row before acting), which is what makes ``acks_late`` plus
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


# The tasks a burst may be published for as one message (see alfred.publisher).
FANNED_OUT = ("message_handle", "outbound_deliver")


@shared_task(acks_late=True, reject_on_worker_lost=True)
def fan_out(task_name: str, message_ids: list[int]) -> None:
    """One task per id, published from the worker. Repeating it after a worker died only repeats
    tasks that are idempotent anyway."""
    if task_name not in FANNED_OUT:
        raise ValueError(f"fan_out does not publish {task_name!r}")
    task = globals()[task_name]
    with fan_out.app.producer_or_acquire() as producer:
        for message_id in message_ids:
            task.apply_async((message_id,), producer=producer)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def sweep_stuck() -> None:
    services.sweep_stuck()
