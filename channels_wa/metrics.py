"""Counters the operator watches. Kept in the cache (Redis in production) so the worker that counts and
the web process that would export them share one value, and a restart does not reset it."""

import logging

from django.core.cache import cache

logger = logging.getLogger(__name__)

PREFIX = "metric:"


def counter_inc(name: str) -> None:
    key = PREFIX + name
    try:
        cache.add(key, 0, timeout=None)
        cache.incr(key)
    except Exception as exc:  # a metric must never break the work it counts
        logger.warning("metric %s not counted (%s)", name, type(exc).__name__)


def counter_value(name: str) -> int:
    value = cache.get(PREFIX + name, 0)
    return int(value) if isinstance(value, int) else 0
