"""``/healthz/``: each check this instance depends on, one JSON body, 503 when any fails.

Our own few lines rather than django-health-check: it imports dnspython's resolver (+3.1 MiB in a booted
web process; Fly's checker would load it within seconds of boot, so a lazy import would buy nothing), and its
Celery check waits out the whole ping timeout on every probe. Read by machines: the same JSON for every
client (curl and Fly's checker send no JSON Accept header), 503 when a check fails so "unavailable" is never
mistaken for "crashed".
"""

import logging
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)

# Seconds each remote check may take: Fly's checker gives up after its own timeout (fly/*.toml).
TIMEOUT = 2.0


class Unhealthy(Exception):
    """A check's finding, shown in the body (never a secret: names and counts only)."""


def database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def cache_round_trip() -> None:
    # A key of its own per probe: concurrent probes (gunicorn threads, two machines) must not race.
    key, value = f"healthz:{uuid.uuid4().hex}", uuid.uuid4().hex
    cache.set(key, value, timeout=5)
    if cache.get(key) != value:
        raise Unhealthy("the value read back differs")
    cache.delete(key)


def migrations() -> None:
    """Unapplied migrations mean the code and the schema disagree."""
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        raise Unhealthy(f"{len(pending)} unapplied migration(s)")


def redis_ping() -> None:
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=TIMEOUT, socket_timeout=TIMEOUT)
    try:
        client.ping()
    finally:
        client.close()


def celery_worker() -> None:
    """A worker answers and consumes this instance's queue. ``limit=1``: one machine runs one worker, so the
    first answer is enough (without it Celery waits out the whole timeout on every probe)."""
    from settings.celery import app

    queue = app.conf.task_default_queue
    answers = app.control.ping(timeout=TIMEOUT / 2, limit=1)
    if not answers:
        raise Unhealthy("no Celery worker answered")
    workers = [name for answer in answers for name in answer]
    active = app.control.inspect(workers, timeout=TIMEOUT / 2, limit=len(workers)).active_queues() or {}
    if not any(entry.get("name") == queue for entries in active.values() for entry in entries):
        raise Unhealthy(f"no Celery worker consumes the {queue} queue")


def checks() -> dict[str, Callable[[], None]]:
    found: dict[str, Callable[[], None]] = {
        "Database": database,
        "Cache": cache_round_trip,
        "Migrations": migrations,
    }
    if settings.REDIS_URL:
        found["Redis"] = redis_ping
        if not settings.CELERY_TASK_ALWAYS_EAGER:
            found["Celery"] = celery_worker
    return found


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    results: dict[str, str] = {}
    for name, check in checks().items():
        try:
            check()
        except Unhealthy as finding:
            results[name] = f"unavailable: {finding}"
        except Exception as error:  # a broken dependency is a finding of the check, not a crash of the view
            # The exception's type only: a driver's message may carry a host name or a URL with credentials.
            logger.warning("health check %s failed: %s", name, type(error).__name__)
            results[name] = f"unavailable: {type(error).__name__}"
        else:
            results[name] = "OK"
    healthy = all(state == "OK" for state in results.values())
    return JsonResponse(results, status=200 if healthy else 503)
