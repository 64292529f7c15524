"""Postgres row-level security: every Alfred table admits only connections that say they are this instance.

Each table has RLS enabled and forced (so its owner, the role the app connects and migrates as, is subject
too) and one policy, ``alfred_instance``, whose USING and WITH CHECK expression is
``current_setting('alfred.instance', true) = '<instance>'``. The app says which instance it is on every
connection (``-c alfred.instance=<instance>`` in the connection options, settings ``instance_settings``).
A connection without the setting, or with the other instance's, sees no row and can write none.

Exempt: ``django_migrations`` (read by every ``migrate`` and by the stamp check before any setting matters)
and the instance stamp table, which the other instance must be able to read in order to be refused.

``protect_tables`` runs after every ``migrate`` (post_migrate, idempotent), so tables of later migrations and
new apps are covered with no migration of their own. ``check_row_level_security`` is the boot check.

What it is not: a boundary against code running as the role. Any connection may ``SET alfred.instance``, and
the owner may turn RLS off. It stops a process pointed at the wrong database (the other instance's, or an ad
hoc tool without the setting) from reading or writing it; separate databases and credentials stay the wall.
"""

import logging
import re

from django.conf import settings
from django.core.management.base import SystemCheckError
from django.db import DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper

from alfred.stamp import STAMP_TABLE

logger = logging.getLogger(__name__)

POLICY = "alfred_instance"
SETTING = "alfred.instance"
EXEMPT_TABLES = ("django_migrations", STAMP_TABLE)

# Every ordinary or partitioned table of the connection's schema, with its RLS state and its policies.
_TABLES = """
SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
       array_remove(array_agg(p.polname ORDER BY p.polname), NULL),
       max(CASE WHEN p.polname = %s THEN pg_get_expr(p.polqual, p.polrelid) END),
       max(CASE WHEN p.polname = %s THEN pg_get_expr(p.polwithcheck, p.polrelid) END)
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_policy p ON p.polrelid = c.oid
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT (c.relname = ANY(%s))
GROUP BY c.relname, c.relrowsecurity, c.relforcerowsecurity
ORDER BY c.relname
"""


class UnprotectedDatabase(SystemCheckError):
    """The database connection or its tables lack row-level security in a deployment."""


def policy_expression(instance: str) -> str:
    """The policy's expression, as written (``protect_tables``) and as Postgres prints it back (the check)."""
    if not re.fullmatch(r"[a-z]+", instance):
        # Inlined into DDL (policies take no parameters): only a plain instance name may get there.
        raise ValueError(f"not an instance name: {instance!r}")
    return f"(current_setting('{SETTING}'::text, true) = '{instance}'::text)"


def _tables(connection: BaseDatabaseWrapper) -> list[tuple[str, bool, bool, list[str], str | None, str | None]]:
    with connection.cursor() as cursor:
        cursor.execute(_TABLES, [POLICY, POLICY, list(EXEMPT_TABLES)])
        return [(str(r[0]), bool(r[1]), bool(r[2]), list(r[3]), r[4], r[5]) for r in cursor.fetchall()]


def table_problems(connection: BaseDatabaseWrapper, instance: str) -> dict[str, list[str]]:
    """What keeps each Alfred table from admitting only ``instance``: table name → problems (none = protected)."""
    expected = policy_expression(instance)
    problems: dict[str, list[str]] = {}
    for name, enabled, forced, policies, using, check in _tables(connection):
        found = []
        if not enabled:
            found.append("row-level security off")
        if not forced:
            found.append("not forced (its owner bypasses it)")
        if POLICY not in policies:
            found.append(f"no policy {POLICY}")
        elif using != expected or check != expected:
            found.append(f"policy {POLICY} does not admit exactly {instance}")
        # Permissive policies are OR-ed: any other one could admit what ours refuses.
        found.extend(f"extra policy {other}" for other in policies if other != POLICY)
        if found:
            problems[name] = found
    return problems


def protect_tables(connection: BaseDatabaseWrapper, instance: str) -> list[str]:
    """Enable and force RLS with this instance's policy on every Alfred table that lacks it; the names changed.
    Idempotent and one query when nothing is missing (it runs after every migrate and test flush)."""
    if connection.vendor != "postgresql":
        return []
    expected = policy_expression(instance)
    changed = []
    for name, enabled, forced, policies, using, check in _tables(connection):
        table = connection.ops.quote_name(name)
        statements = []
        if not enabled:
            statements.append(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        if not forced:
            statements.append(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        if POLICY not in policies:
            statements.append(f"CREATE POLICY {POLICY} ON {table} USING {expected} WITH CHECK {expected}")
        elif using != expected or check != expected:
            statements.append(f"ALTER POLICY {POLICY} ON {table} USING {expected} WITH CHECK {expected}")
        if statements:
            with connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)
            changed.append(name)
    if changed:
        logger.info("row-level security for %s on %d tables: %s", instance, len(changed), ", ".join(changed))
    return changed


def protect_after_migrate(using: str = "default", **kwargs: object) -> None:
    """post_migrate receiver: the tables this migrate created (or a flush found) get their policy."""
    protect_tables(connections[using], settings.INSTANCE)


def role_problems(connection: BaseDatabaseWrapper, instance: str) -> list[str]:
    """What lets this connection past the policies: a superuser or BYPASSRLS role (the session's or the current
    one), or an ``alfred.instance`` that is not this instance."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.rolname, r.rolsuper, r.rolbypassrls FROM pg_roles r "
            "WHERE r.rolname IN (session_user, current_user) ORDER BY r.rolname"
        )
        roles = cursor.fetchall()
        cursor.execute("SELECT current_setting(%s, true)", [SETTING])
        (said,) = cursor.fetchone()
    problems = [
        f"role {name} is a superuser" if superuser else f"role {name} has BYPASSRLS"
        for name, superuser, bypass in roles
        if superuser or bypass
    ]
    if said != instance:
        problems.append(f"the connection's {SETTING} is {said!r}, not {instance!r}")
    return problems


def _by_problem(tables: dict[str, list[str]], shown: int = 6) -> list[str]:
    """One line per kind of problem with the tables that have it: a database migrated before row-level security
    existed has every table unprotected, and the operator needs the fix, not thirty repeats."""
    tables_with: dict[str, list[str]] = {}
    for name, found in tables.items():
        for problem in found:
            tables_with.setdefault(problem, []).append(name)
    lines = []
    for problem, names in tables_with.items():
        more = f" and {len(names) - shown} more" if len(names) > shown else ""
        lines.append(
            f"{problem} on {len(names)} table{'s' if len(names) > 1 else ''}: {', '.join(names[:shown])}{more}"
        )
    return lines


def check_row_level_security(instance: str, *, tables: bool = True) -> None:
    """At boot, outside embedded mode, on Postgres: refuse a superuser or BYPASSRLS connection and (unless
    ``tables`` is False, for ``migrate``, which protects them) an Alfred table without this instance's policy.
    ``ALFRED_ALLOW_UNPROTECTED_DATABASE=1`` lets local work through (logged)."""
    connection = connections["default"]
    if settings.EMBEDDED or connection.vendor != "postgresql":
        return
    was_open = connection.connection is not None
    try:
        problems = role_problems(connection, instance)
        if tables:
            problems += _by_problem(table_problems(connection, instance))
    except DatabaseError as exc:
        # As with the stamp: a database down at start is the webhook's 503 to handle; the next start checks.
        logger.warning("database unreachable at start (%s): row-level security was not checked", type(exc).__name__)
        return
    finally:
        if not was_open:
            connection.close()
    if not problems:
        return
    if settings.ALFRED_ALLOW_UNPROTECTED_DATABASE:
        logger.warning("row-level security not in force (allowed for local work): %s", "; ".join(problems))
        return
    raise UnprotectedDatabase(
        "Row-level security is not in force on this database: "
        + "; ".join(problems)
        + ". Connect as an ordinary role (NOSUPERUSER NOBYPASSRLS) that owns the database and its tables, and run "
        '`python manage.py migrate` as it: it enables and forces RLS on every table (README "Isolation", '
        "3. Data, says how to move a database to such a role). For local work only: "
        "ALFRED_ALLOW_UNPROTECTED_DATABASE=1."
    )
