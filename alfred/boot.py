"""What every process of an instance does before its first unit of work: the web process (WSGI), the Celery
worker and beat, and management commands (``manage.py``). One function, so no entry point can skip a layer.

Each isolation layer adds its step to ``instance_boot`` (config checks, the instance stamp of the stores, the
egress guard, logging). A step raises ``SystemCheckError`` (or its own error naming what is wrong) and the
process refuses to start.
"""

import logging
import sys

from django.conf import settings
from django.db import DatabaseError, connections

from alfred.checks import assert_startup_checks
from alfred.egress import install as install_egress_guard
from alfred.rls import check_row_level_security
from alfred.stamp import check_database_stamp, check_redis_stamp, database_stamp

logger = logging.getLogger(__name__)

# Entry points, named in errors and logs.
WEB = "web"
WORKER = "worker"
BEAT = "beat"
COMMAND = "command"


# A worker running beat (``-B``) passes through two entry points; the layers are installed once per process.
_booted_as: list[str] = []


def instance_boot(entry_point: str, *, command: str = "") -> None:
    """Refuse to start on a mixed-up configuration; called once per process by each entry point (``command``:
    the management command's name)."""
    if _booted_as:
        return
    try:
        # Layer 4, network: first, so that the checks below already connect only to this instance's hosts.
        install_egress_guard()
        # Layer 2, config: instance name, apps, channel credentials, the other instance's variables.
        assert_startup_checks(skills=entry_point != WEB)
        # Layer 3, data: the database and Redis must be stamped for this instance (or be new).
        check_database_stamp(settings.INSTANCE)
        check_redis_stamp(settings.INSTANCE)
        # Row-level security: no superuser or BYPASSRLS role, every table protected (migrate protects them).
        check_row_level_security(settings.INSTANCE, tables=command != "migrate")
    except Exception as refusal:
        _record_refusal(entry_point, refusal)
        raise
    _booted_as.append(entry_point)


def exit_unless_booted(entry_point: str) -> None:
    """``instance_boot`` for Celery's signals, which log a handler's exception and carry on: a refusal has to
    end the process itself."""
    try:
        instance_boot(entry_point)
    except Exception as refusal:
        sys.stderr.write(f"Refusing to start the {entry_point}: {refusal}\n")
        raise SystemExit(1) from refusal


def _record_refusal(entry_point: str, refusal: Exception) -> None:
    """Log every refused start; audit it too when the database is this instance's own (a refusal is never
    written into the other instance's store)."""
    logger.error("refusing to start the %s: %s", entry_point, refusal)
    connection = connections["default"]
    try:
        ours = database_stamp(connection) == settings.INSTANCE
    except DatabaseError:
        return
    if ours:
        from alfred.audit import audit_record

        audit_record("instance.start_refused", actor=entry_point, reason=str(refusal)[:2000])
