"""The audit trail: one call, ``audit_record``, for every event worth answering "who did this, and when?".

Recording never breaks the action it records: a failure to write is logged and the action goes on.

Who records what (README "Audit log"):

- ``message.inbound`` / ``message.outbound``: the worker, when it closes a message (``alfred.handling``,
  ``alfred.outbox``), never the webhook, which stays one SQL statement;
- ``tool.write``: ``alfred.execution``, for a tool call whose work wrote to the database (``database_writes``);
- ``admin.add`` / ``admin.change`` / ``admin.delete``: every admin ``LogEntry`` (``admin_log_entries_audited``);
- ``token.rotate``, ``egress.blocked``, ``start.refused``: the credential and isolation layers; refusals use
  ``audit_record_now``, which keeps the event even when the refused work is rolled back.

Events stay ``ALFRED_AUDIT_RETENTION_DAYS`` in the database, then ``alfred.audit_archive`` moves them out.
"""

import contextvars
import json
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps
from typing import TYPE_CHECKING, Any, cast

from django.apps import AppConfig
from django.conf import settings
from django.core import checks
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.utils import timezone

from alfred.checks import ALFRED_TAG

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin
    from django.contrib.admin.models import LogEntry
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.contenttypes.models import ContentType
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models import QuerySet
    from django.http import HttpRequest
    from django.template.response import TemplateResponse

    Response = TemplateResponse | None
    AdminAction = Callable[[ModelAdmin[Any], HttpRequest, QuerySet[Any]], Response]

logger = logging.getLogger(__name__)

# The verbs of the trail. Other layers pass their own through ``audit_record``; these are the ones whose
# names other code (the admin filter, the README, the tests) relies on.
MESSAGE_INBOUND = "message.inbound"
MESSAGE_OUTBOUND = "message.outbound"
TOOL_WRITE = "tool.write"
# By LogEntry.action_flag (ADDITION, CHANGE, DELETION), without importing the admin's models here.
ADMIN_ACTIONS = {1: "admin.add", 2: "admin.change", 3: "admin.delete"}
TOKEN_ROTATE = "token.rotate"  # noqa: S105  (an action name, not a token)
EGRESS_BLOCKED = "egress.blocked"
START_REFUSED = "start.refused"
ARCHIVE = "audit.archive"
ARCHIVE_FAILED = "audit.archive_failed"

# A sender no member address matches. Their address is not written into the trail: the archive outlives
# the stranger's own messages (README "Audit log", retention), so it must not keep who they were.
STRANGER = "stranger"


def member_actor(member_id: int | None) -> str:
    """How the trail names the person behind a message: ``member:<id>``, or ``stranger``."""
    return STRANGER if member_id is None else f"member:{member_id}"


def _fields(action: str, actor: str, target: str, detail: dict[str, Any]) -> dict[str, Any]:
    return {
        "instance": settings.INSTANCE,
        "actor": actor[:120],
        "action": action[:64],
        "target": target[:200],
        "detail": detail,
    }


def audit_record(action: str, *, actor: str = "system", target: str = "", **detail: Any) -> None:
    """Store one event. ``detail`` holds names, ids and counts, never a secret or a message's text.

    The event belongs to the caller's transaction: if the recorded action is rolled back, so is its event
    (it did not happen). For a refusal that aborts the caller's work, use ``audit_record_now``."""

    try:
        # A savepoint: a failed insert must not poison the caller's transaction.
        with transaction.atomic():
            _insert(connections[DEFAULT_DB_ALIAS], _fields(action, actor, target, detail))
    except (DatabaseError, TypeError, ValueError):  # TypeError/ValueError: a detail JSON cannot hold
        logger.exception("audit event %s could not be stored", action)


def _insert(db: "BaseDatabaseWrapper", fields: dict[str, Any]) -> None:
    """One event as a plain INSERT: two are written for every message, and the ORM's create compiled its
    statement each time (README "Benchmarks", end to end)."""
    from alfred.models import AuditEvent

    table = AuditEvent._meta.db_table
    # Only the model's own table name is interpolated; every value is a parameter.
    insert = f"INSERT INTO {db.ops.quote_name(table)} (at, instance, actor, action, target, detail) VALUES "  # noqa: S608
    at = db.ops.adapt_datetimefield_value(timezone.now())
    values = [at, *(fields[name] for name in ("instance", "actor", "action", "target")), json.dumps(fields["detail"])]
    with db.cursor() as cursor:
        cursor.execute(insert + "(%s, %s, %s, %s, %s, %s)", values)


def audit_record_now(action: str, *, actor: str = "system", target: str = "", **detail: Any) -> None:
    """Store one event at once, on a connection of its own, so it is kept even when the caller's
    transaction is rolled back: a blocked egress or a refused start usually ends the work that caused it.

    Never for a start refused *because the database belongs to the other instance*: writing there is the
    very thing refused. Costs a connection per call, so only for rare events."""
    fields = _fields(action, actor, target, detail)
    own = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        _insert(own, fields)
        if not own.get_autocommit():
            own.commit()
    except (DatabaseError, TypeError, ValueError):
        logger.exception("audit event %s could not be stored", action)
    finally:
        own.close()


@dataclass
class WriteCount:
    statements: int = 0


# The first word of a statement that changes rows. A CTE (``WITH …``) counts when it holds one of them.
WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "MERGE")


def _writes_rows(sql: str) -> bool:
    head = sql.lstrip(" (\n\t").upper()
    if head.startswith(WRITE_VERBS):
        return True
    return head.startswith("WITH") and any(f"{verb} " in head for verb in WRITE_VERBS)


@contextmanager
def database_writes() -> Iterator[WriteCount]:
    """Count the statements that change rows while the block runs, on this thread's connection. A tool
    does not declare whether it writes; what it did to the database says so, whoever wrote the tool."""
    count = WriteCount()

    def counted(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
        if _writes_rows(sql):
            count.statements += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counted):
        yield count


# --- admin changes ---------------------------------------------------------------------------------------

# Set while the admin's "delete selected" runs: its log entries are written in bulk (no post_save), so the
# action audits them itself and the signal stands aside.
_bulk_admin_action: contextvars.ContextVar[bool] = contextvars.ContextVar("bulk_admin_action", default=False)


def log_entry_audit(entry: "LogEntry") -> None:
    """One admin change, as the admin logged it: who, which object, and the names of the fields changed
    (``change_message`` lists field names, never values)."""
    content_type = cast("ContentType | None", entry.content_type)
    model = f"{content_type.app_label}.{content_type.model}" if content_type is not None else "?"
    user = cast("AbstractBaseUser", entry.user)
    audit_record(
        ADMIN_ACTIONS.get(entry.action_flag, "admin.other"),
        actor=f"user:{user.get_username()}",
        target=f"{model}:{entry.object_id}",
        object=entry.object_repr,
        changes=entry.get_change_message(),
        log_entry=entry.pk,
    )


def log_entry_saved(sender: type, instance: "LogEntry", created: bool, **kwargs: Any) -> None:
    if created and not kwargs.get("raw") and not _bulk_admin_action.get():
        log_entry_audit(instance)


def audited_bulk_action(action: "AdminAction") -> "AdminAction":
    """An admin action whose log entries are written in bulk (Django's ``delete_selected``), auditing each."""
    from django.contrib.admin.models import DELETION, LogEntry

    @wraps(action)
    def audited(modeladmin: "ModelAdmin[Any]", request: "HttpRequest", queryset: "QuerySet[Any]") -> "Response":
        last = LogEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        token = _bulk_admin_action.set(True)
        try:
            response = action(modeladmin, request, queryset)
        finally:
            _bulk_admin_action.reset(token)
        written = LogEntry.objects.filter(pk__gt=last, user_id=request.user.pk or 0, action_flag=DELETION)
        for entry in written.select_related("content_type", "user"):
            log_entry_audit(entry)
        return response

    return audited


def admin_log_entries_audited() -> None:
    """Make every admin change an audit event (called once, from the app's ``ready``)."""
    from django.contrib import admin
    from django.contrib.admin.actions import delete_selected
    from django.contrib.admin.models import LogEntry
    from django.db.models.signals import post_save

    post_save.connect(log_entry_saved, sender=LogEntry, dispatch_uid="alfred.audit.log_entry")
    admin.site.add_action(audited_bulk_action(delete_selected), "delete_selected")


@checks.register(checks.Tags.compatibility, ALFRED_TAG)
def check_archive_storage(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Outside development an audit trail archived to the machine's own disk is lost with the machine."""
    if settings.DEV_MODE or settings.ALFRED_AUDIT_BUCKET:
        return []
    return [
        checks.Warning(
            f"Audit archives go to the local directory {settings.ALFRED_AUDIT_ARCHIVE_DIR}, which a redeploy erases.",
            hint="Set ALFRED_AUDIT_BUCKET (and its endpoint and key) to keep them in object storage.",
            id="alfred.W101",
        )
    ]
