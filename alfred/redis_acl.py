"""A Redis ACL user per instance, limited to that instance's keys, queues and channels (README "Isolation" 3).

Everything an instance keeps in Redis is under ``alfred:<instance>:``: the cache (``KEY_PREFIX``), and through
kombu's ``global_keyprefix`` the Celery queue (``alfred-<instance>`` and its priority lists), kombu's bindings,
``unacked`` bookkeeping, the pidbox reply queues and the pub/sub channels of remote control and worker events.
Found by ``MONITOR`` while a production-like worker (``-B``, gossip and mingle on) ran a task and answered a
ping; only the instance stamp, ``alfred:instance``, lies outside the prefix (so the other instance finds it).

``PSUBSCRIBE`` patterns are checked literally against the user's channel rules, so the two patterns kombu
subscribes to are granted as written; they carry the database number (kombu's ``/<db>.`` fanout prefix).
"""

import hashlib
from urllib.parse import unquote, urlsplit

from django.conf import settings

from alfred.stamp import REDIS_STAMP_KEY

# Not key-checked by ACLs, so they would list or flush the other instance's keys: KEYS, FLUSHDB, SWAPDB, INFO,
# CONFIG, MONITOR… are all @dangerous; SCAN and RANDOMKEY are not, and leak key names.
COMMAND_RULES = ("+@all", "-@dangerous", "-scan", "-randomkey")


class RedisUrlError(ValueError):
    """REDIS_URL does not name the user the rules are for."""


def acl_user(redis_url: str) -> tuple[str, str, int]:
    """The user, password and database number of a Redis URL (``redis://user:password@host:port/db``)."""
    parts = urlsplit(redis_url)
    user, password = unquote(parts.username or ""), unquote(parts.password or "")
    if not user or user == "default" or not password:
        raise RedisUrlError(
            "REDIS_URL must name this instance's own Redis user and its password, e.g. "
            f"redis://alfred-{settings.INSTANCE}:<password>@host:6379/0 (not the default user): the rules are for "
            "the user in the URL the instance will connect with."
        )
    path = parts.path.lstrip("/")
    return user, password, int(path) if path else 0


def acl_rules(redis_url: str) -> tuple[str, list[str]]:
    """The user named in ``redis_url`` and the ``ACL SETUSER`` rules limiting it to this instance. The password
    goes in as its SHA-256 (``#…``), so the rules hold no secret."""
    user, password, db = acl_user(redis_url)
    # Set by settings.base.instance_settings (globals().update), which the settings type cannot see.
    broker_prefix: str = settings.CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"]  # type: ignore[misc]
    key_prefixes = {f"{settings.CACHES['default']['KEY_PREFIX']}:", broker_prefix}
    rules = [
        "reset",
        "on",
        f"#{hashlib.sha256(password.encode()).hexdigest()}",
        *(f"~{prefix}*" for prefix in sorted(key_prefixes)),
        # Read at every start and set if absent (alfred/stamp.py).
        f"~{REDIS_STAMP_KEY}",
        f"&{broker_prefix}*",
        # Remote control (pidbox: health check ping, inspect) and worker gossip, subscribed as patterns.
        f"&{broker_prefix}/{db}.celery.pidbox",
        f"&{broker_prefix}/{db}.celeryev/worker.*",
        *COMMAND_RULES,
    ]
    return user, rules
