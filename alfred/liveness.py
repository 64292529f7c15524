"""Which worker processes are alive, so that a message a dead worker was handling is taken back within
seconds instead of after the handling lease.

A worker process keeps a short-lived key in the cache (Redis) fresh from a daemon thread and stamps the
rows it claims with its id (``Message.claimed_by``). The sweeper hands back at once a row whose claimant's
key has lapsed: a worker killed with ``kill -9`` costs its messages the key's lifetime plus one sweep. When
liveness cannot be known — no shared cache (embedded mode), Redis down, a row claimed by a process without a
heartbeat (inline tasks in the web process) — the lease remains the rule, so nothing is ever taken from a
worker that may still be running it.
"""

import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

# (pid, id): recomputed after a fork, so a forked child (beat under Celery's ``-B``) never passes for its parent.
_identity: tuple[int, str] | None = None
# The pid whose heartbeat runs: only that process stamps its claims.
_beating_pid: int | None = None
_stop = threading.Event()


def process_id() -> str:
    global _identity
    pid = os.getpid()
    if _identity is None or _identity[0] != pid:
        # The random part tells a restarted worker from its predecessor even when a container reuses the pid.
        _identity = (pid, f"{socket.gethostname()[:40]}:{pid}:{uuid.uuid4().hex[:8]}")
    return _identity[1]


def claimant() -> str:
    """What a claim by this process records: its id when its heartbeat runs, else "" (lease rule)."""
    return process_id() if _beating_pid == os.getpid() else ""


def _key(process: str) -> str:
    return f"alive:{process}"


def heartbeat_once() -> None:
    cache.set(_key(process_id()), 1, timeout=settings.ALFRED_WORKER_ALIVE_SECONDS)


def start_heartbeat() -> None:
    """Start this worker's heartbeat (idempotent). Only with a shared cache: a local one proves nothing."""
    global _beating_pid
    if not settings.REDIS_URL or _beating_pid == os.getpid():
        return
    interval = settings.ALFRED_WORKER_ALIVE_SECONDS / 3

    def beat() -> None:
        while True:
            try:
                heartbeat_once()
            except Exception as exc:  # Redis away: the sweeper cannot read liveness either, the lease rules
                logger.warning("worker heartbeat failed (%s)", type(exc).__name__)
            if _stop.wait(interval):
                return

    try:
        heartbeat_once()  # now, before this worker's first claim
    except Exception as exc:
        logger.warning("worker heartbeat failed (%s)", type(exc).__name__)

    # A claim seen while our key is missing (Redis came back a moment ago) may be taken over by another
    # worker: harmless, since a reply is only sent by whoever still holds the claim (handling._finish).
    _beating_pid = os.getpid()

    threading.Thread(target=beat, name="alfred-heartbeat", daemon=True).start()


def dead_among(claimants: Iterable[str]) -> set[str]:
    """The claimants whose key has lapsed; empty when that cannot be known (no Redis, or Redis down)."""
    processes = {process for process in claimants if process}
    if not processes or not settings.REDIS_URL:
        return set()
    try:
        alive = cache.get_many([_key(process) for process in processes])
    except Exception as exc:
        logger.warning("sweeper: worker liveness unknown (%s); the lease rules", type(exc).__name__)
        return set()
    return {process for process in processes if _key(process) not in alive}


def stop_heartbeat() -> None:
    """Stop this process's heartbeat (a worker shutting down cleanly; tests). Its key lapses on its own."""
    global _beating_pid
    _stop.set()
    _beating_pid = None
    _stop.clear()
