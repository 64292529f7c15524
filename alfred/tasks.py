"""The engine's Celery tasks. Each is declared beside the stage it runs (a task takes an id, re-fetches,
calls that stage's one service); importing them here is what registers them with the worker, which reads
this module through Celery's autodiscovery. Their names (``alfred.tasks.*``) stay as they were, so tasks
already queued keep working across a deploy."""

from alfred.audit_archive import audit_archive_task
from alfred.handling import message_handle_task
from alfred.outbox import outbound_deliver_task
from alfred.publisher import fan_out
from alfred.rotation import rotate_tokens_task
from alfred.sweeper import sweep_stuck_task

__all__ = [
    "audit_archive_task",
    "fan_out",
    "message_handle_task",
    "outbound_deliver_task",
    "rotate_tokens_task",
    "sweep_stuck_task",
]
