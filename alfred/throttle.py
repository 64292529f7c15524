"""How much one member may say, and how often a stranger is refused, counted in Redis.

A member may send ``ALFRED_MEMBER_MESSAGES_PER_MINUTE`` messages per minute.

The worker counts each member's messages per minute of arrival (the row's ``created_at``, not the moment
the worker gets to it, so a backlog handled after an outage is not taken for a flood). Past the limit the
message is closed as handled with ``error="throttled: …"`` and no skill, LLM or transcription work; the
first one past the limit in a minute gets one short "slow down" reply, the others none. Nothing is lost: every
row stays, with its text, in the inbox.

The count is one atomic step in Redis (``SET key 0 EX … NX`` and ``INCR key`` in one MULTI/EXEC), so
concurrent workers never both see the same number, and a key never lives without its expiry. Without Redis
(embedded mode, one process) the local cache counts. If Redis cannot be reached, the message is handled:
a limit must not drop the family's messages.

``refusal_claim`` makes "one refusal a day" for a stranger hold when their messages are handled at the same
moment: the refusal goes to whoever sets the conversation's key first (``SET … NX EX``).
"""

import logging
import os
import threading
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60
# A window's count is kept this long after its minute, so a message handled late (worker backlog, outage)
# still finds the count of the minute it arrived in.
KEEP_SECONDS = 2 * 3600

_client: tuple[int, str, Any] | None = None
# Threads of one worker build the client once: a client built twice is garbage-collected while another
# thread's pipeline still uses it, and redis-py then closes the connections under it (EBADF).
_client_lock = threading.Lock()


def _redis() -> Any:
    """One client (and connection pool) per process; rebuilt after a fork."""
    global _client
    with _client_lock:
        if _client is None or _client[:2] != (os.getpid(), settings.REDIS_URL):
            from redis import Redis

            url = settings.REDIS_URL
            _client = (os.getpid(), url, Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2))
        return _client[2]


def window_key(member_id: int, arrived_at: datetime) -> str:
    minute = int(arrived_at.timestamp()) // WINDOW_SECONDS
    return f"throttle:member:{member_id}:{minute}"


def member_message_count(member_id: int, arrived_at: datetime) -> int | None:
    """Count one more message of this member in the minute it arrived; its rank in that minute (1 = first),
    or None when it could not be counted."""
    key = window_key(member_id, arrived_at)
    try:
        if not settings.REDIS_URL:
            cache.add(key, 0, timeout=KEEP_SECONDS)
            return int(cache.incr(key))
        # Under the cache's per-instance prefix, which the instance's Redis ACL user is limited to.
        full_key = f"{settings.CACHES['default']['KEY_PREFIX']}:{key}"
        pipe = _redis().pipeline(transaction=True)
        pipe.set(full_key, 0, ex=KEEP_SECONDS, nx=True)
        pipe.incr(full_key)
        _created, count = pipe.execute()
        return int(count)
    except Exception as exc:
        logger.warning(
            "member %s: message rate not counted (%s); handled without the limit", member_id, type(exc).__name__
        )
        return None


def throttled_rank(member_id: int, arrived_at: datetime) -> int:
    """0 when this message is within the member's limit; else how far past it (1 = the first one over)."""
    limit = settings.ALFRED_MEMBER_MESSAGES_PER_MINUTE
    if limit <= 0:
        return 0
    count = member_message_count(member_id, arrived_at)
    if count is None or count <= limit:
        return 0
    return count - limit


def refusal_claim(conversation_id: int) -> bool:
    """True for the one caller that may refuse this conversation's stranger in the refusal period: an atomic
    ``SET … NX EX`` in Redis (the local cache's lock in embedded mode). Without Redis the database check
    alone decides, as before."""
    try:
        return bool(
            cache.add(f"refused:conversation:{conversation_id}", 1, timeout=settings.ALFRED_REFUSAL_EVERY_HOURS * 3600)
        )
    except Exception as exc:
        logger.warning("conversation %s: refusal not claimed in the cache (%s)", conversation_id, type(exc).__name__)
        return True
