"""The instance stamp: each store says which instance it belongs to, and a process of the other instance refuses it.

Database: one row in ``alfred_instance_stamp``. Migration 0006 creates the table and stamps the database it runs
on; a process that finds the table empty stamps it at boot. A table of its own rather than a model, on purpose:
``manage.py flush`` and the test runner empty every model's table, and a store's identity is not data.

Redis: the key ``alfred:instance``, outside the instance's key prefix (``alfred:<instance>:``) so that the other
instance finds it; set if absent, then compared.
"""

import logging

from django.apps import apps
from django.conf import settings
from django.core.management.base import SystemCheckError
from django.db import DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper

logger = logging.getLogger(__name__)

STAMP_TABLE = "alfred_instance_stamp"
REDIS_STAMP_KEY = "alfred:instance"
# Literal SQL (the table name is a constant), valid in Postgres and SQLite alike.
CREATE_STAMP_TABLE = (
    "CREATE TABLE alfred_instance_stamp (id integer PRIMARY KEY CHECK (id = 1), instance varchar(16) NOT NULL, "
    "stamped_at timestamp with time zone NOT NULL DEFAULT CURRENT_TIMESTAMP)"
)
DROP_STAMP_TABLE = "DROP TABLE alfred_instance_stamp"
READ_STAMP = "SELECT instance FROM alfred_instance_stamp WHERE id = 1"
WRITE_STAMP = "INSERT INTO alfred_instance_stamp (id, instance) VALUES (1, %s) ON CONFLICT DO NOTHING"


class ForeignStore(SystemCheckError):
    """A database or Redis that belongs to the other instance (or may: see ``refuse_foreign_migrations``)."""


def database_stamp(connection: BaseDatabaseWrapper) -> str | None:
    """The instance the database is stamped for; None when it has no stamp (no table yet, or an empty one)."""
    if STAMP_TABLE not in connection.introspection.table_names():
        return None
    with connection.cursor() as cursor:
        cursor.execute(READ_STAMP)
        row = cursor.fetchone()
    return str(row[0]) if row else None


def refuse_foreign_migrations(connection: BaseDatabaseWrapper, instance: str) -> None:
    """An unstamped database that holds migrations of apps this process does not install was set up by another
    configuration (a database migrated before the stamp existed, by the other instance): stamping it would
    hand the other instance's data to this one."""
    if "django_migrations" not in connection.introspection.table_names():
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT app FROM django_migrations")
        applied = {str(app) for (app,) in cursor.fetchall()}
    foreign = sorted(applied - {app.label for app in apps.get_app_configs()})
    if foreign:
        raise ForeignStore(
            f"This database has no instance stamp and holds migrations of apps the {instance} instance does not "
            f"install ({', '.join(foreign)}): it may belong to the other instance; this process is {instance}. "
            "Point DATABASE_URL at this instance's own database."
        )


def stamp_database(connection: BaseDatabaseWrapper, instance: str) -> None:
    """Stamp an unstamped database for ``instance`` (the table must exist); refuse one stamped for another."""
    if database_stamp(connection) is None:
        refuse_foreign_migrations(connection, instance)
        with connection.cursor() as cursor:
            # Two processes starting at once: the first insert wins, the second reads the winner's stamp.
            cursor.execute(WRITE_STAMP, [instance])
        logger.info("database stamped for the %s instance", instance)
    refuse_foreign_database(connection, instance)


def refuse_foreign_database(connection: BaseDatabaseWrapper, instance: str) -> None:
    stamped = database_stamp(connection)
    if stamped is not None and stamped != instance:
        raise ForeignStore(
            f"This database belongs to Alfred-{stamped}; this process is {instance}. "
            f"Point DATABASE_URL at the {instance} instance's own database."
        )


def check_database_stamp(instance: str) -> None:
    """At boot: refuse a database stamped for another instance; stamp an unstamped one that has the table. A
    database without the table (fresh, or migrated before the stamp existed) is left to ``migrate``, which
    stamps it, unless another configuration's migrations are in it."""
    connection = connections["default"]
    was_open = connection.connection is not None
    try:
        if STAMP_TABLE in connection.introspection.table_names():
            stamp_database(connection, instance)
        else:
            refuse_foreign_migrations(connection, instance)
    except ForeignStore:
        raise
    except DatabaseError as exc:
        # The web process answers webhooks with 503 while the database is down; it starts, and the next start
        # checks the stamp.
        logger.warning("database unreachable at start (%s): its instance stamp was not checked", type(exc).__name__)
    finally:
        if not was_open:
            # Opened in the main thread at start, where no request runs: keep no idle connection.
            connection.close()


def check_redis_stamp(instance: str) -> None:
    """At boot: stamp Redis for ``instance`` if it has no stamp, then refuse it if it is stamped for another."""
    if not settings.REDIS_URL:
        return
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.set(REDIS_STAMP_KEY, instance, nx=True)
        stamped = client.get(REDIS_STAMP_KEY)
    except redis.RedisError as exc:
        # As with the database: the web process keeps answering (the sweeper queues later), so it starts.
        logger.warning("Redis unreachable at start (%s): its instance stamp was not checked", type(exc).__name__)
        return
    finally:
        client.close()
    owner = stamped.decode(errors="replace") if isinstance(stamped, bytes) else stamped
    if owner is not None and owner != instance:
        raise ForeignStore(
            f"This Redis belongs to Alfred-{owner}; this process is {instance}. "
            f"Point REDIS_URL at the {instance} instance's own Redis."
        )
