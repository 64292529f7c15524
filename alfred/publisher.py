"""Committed work handed to Celery by one background thread per process, a burst at a time.

Publishing a Celery task costs about a millisecond of CPU (message building in Celery and kombu, a Redis
round trip) — as much as everything else a webhook request does. In the request it would halve the
deliveries one web process can take. So ``transaction.on_commit`` only hands ``(task, id)`` to this
publisher and the request returns; the publisher's thread sends what has piled up while it was busy: one
id as the task itself, several ids of one task as a single ``fan_out`` message that the worker spreads
into one task per id. A quiet process therefore publishes each id at once, exactly as before; a busy one
pays one publish per burst instead of one per message.

Nothing committed is lost: a row whose id dies in this buffer (a killed process, the broker down) is still
in ``received``/``queued``, and the sweeper enqueues it again. In inline mode (``make chat``, most tests)
the task runs in the caller, as Celery's eager mode does.
"""

import atexit
import logging
import os
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from functools import cache, partial, wraps
from typing import TYPE_CHECKING

from celery import shared_task
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from alfred.log_context import about_message

if TYPE_CHECKING:
    from celery import Celery, Task

    RowTask = Task[[int], None]

logger = logging.getLogger(__name__)

# Enough that one Celery message stays small (ids are integers) while a burst still costs one publish.
MAX_BATCH = 200
# A busy process publishes at most this often: what arrives in between goes out together. A quiet one
# (nothing published for this long) publishes at once, so a lone message is not delayed.
BURST_SECONDS = 0.05
# How long a process that is exiting waits for its last ids to reach the broker.
EXIT_FLUSH_SECONDS = 5.0


# Every task declared with ``row_task``, by its Celery name: what ``fan_out`` may publish.
ROW_TASKS: "dict[str, RowTask]" = {}


def row_task(name: str) -> "Callable[[Callable[[int], None]], RowTask]":
    """Declare the Celery task of a stage: it takes one row id and is idempotent (it claims its row before
    acting), which is what makes ``acks_late`` plus ``reject_on_worker_lost`` safe: a task redelivered after
    a worker died does nothing twice. The publisher may send a burst of one such task as one ``fan_out``."""

    def declare(func: Callable[[int], None]) -> "RowTask":
        @wraps(func)
        def about_its_row(message_id: int) -> None:
            with about_message(message_id):
                func(message_id)

        task: RowTask = shared_task(name=name, acks_late=True, reject_on_worker_lost=True)(about_its_row)
        ROW_TASKS[task.name] = task
        return task

    return declare


@shared_task(name="alfred.tasks.fan_out", acks_late=True, reject_on_worker_lost=True)
def fan_out(task_name: str, message_ids: list[int]) -> None:
    """One task per id, published from the worker. Repeating it after a worker died only repeats tasks that
    are idempotent anyway. The name comes over the wire, so only tasks declared with ``row_task`` go."""
    task = ROW_TASKS.get(task_name)
    if task is None:
        raise ValueError(f"fan_out does not publish {task_name!r}")
    with fan_out.app.producer_or_acquire() as producer:
        for message_id in message_ids:
            task.apply_async((message_id,), producer=producer)


def enqueue_on_commit(task: "RowTask", message_id: int) -> None:
    """Queue a task for a row once the row is committed; the publisher sends it after the caller returns."""
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        transaction.on_commit(partial(publisher.submit, task, message_id))
    else:  # autocommit: the row is committed already (what on_commit would find out, at a cost per message)
        publisher.submit(task, message_id)


def publish_now(task: "RowTask", message_ids: list[int]) -> None:
    """Send ids to Celery from the calling thread; a broker failure is logged and left to the sweeper."""
    try:
        if len(message_ids) == 1:
            task.delay(message_ids[0])
        else:
            fan_out.delay(task.name, message_ids)
    except Exception as exc:  # the broker is down: the rows are safe, the sweeper will enqueue them again
        logger.warning(
            "enqueue of %s for %d message(s) failed (%s); left for the sweeper",
            task.name,
            len(message_ids),
            type(exc).__name__,
        )


@cache
def _celery_app() -> "Celery":
    from settings.celery import app

    return app


class Publisher:
    def __init__(self) -> None:
        self._start_in_this_process()

    def _start_in_this_process(self) -> None:
        self._pid = os.getpid()
        self._pending: deque[tuple[RowTask, int]] = deque()
        self._unpublished = 0
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None
        self._last_publish = 0.0

    def submit(self, task: "RowTask", message_id: int) -> None:
        if _celery_app().conf.task_always_eager:
            publish_now(task, [message_id])
            return
        if self._pid != os.getpid():
            # A forked child inherits the parent's buffer and lock but not its thread.
            self._start_in_this_process()
        with self._changed:
            self._pending.append((task, message_id))
            self._unpublished += 1
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="alfred-publisher", daemon=True)
                self._thread.start()
            self._changed.notify_all()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every id handed over so far has been published (or given up); False on timeout."""
        if self._pid != os.getpid():
            return True  # nothing was handed over in this process yet
        with self._changed:
            return self._changed.wait_for(lambda: self._unpublished == 0, timeout=timeout)

    def _run(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: bool(self._pending))
            busy_for = self._last_publish + BURST_SECONDS - time.monotonic()
            if busy_for > 0:
                time.sleep(busy_for)
            with self._changed:
                taken = [self._pending.popleft() for _ in range(min(len(self._pending), MAX_BATCH))]
            by_task: dict[RowTask, list[int]] = defaultdict(list)
            for task, message_id in taken:
                by_task[task].append(message_id)
            try:
                for task, message_ids in by_task.items():
                    publish_now(task, message_ids)
            except Exception:  # never let the thread die with ids counted as unpublished
                logger.exception("publisher: unexpected error; %d id(s) left for the sweeper", len(taken))
            finally:
                self._last_publish = time.monotonic()
                with self._changed:
                    self._unpublished -= len(taken)
                    self._changed.notify_all()


publisher = Publisher()
atexit.register(publisher.flush, EXIT_FLUSH_SECONDS)
