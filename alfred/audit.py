"""The audit trail: one call, ``audit_record``, for every event worth answering "who did this, and when?".

Recording never breaks the action it records: a failure to write is logged and the action goes on.
"""

import logging
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction

logger = logging.getLogger(__name__)


def audit_record(action: str, *, actor: str = "system", target: str = "", **detail: Any) -> None:
    """Store one event. ``detail`` holds names, ids and counts, never a secret or a message's text."""
    from alfred.models import AuditEvent

    try:
        # A savepoint: a failed insert must not poison the caller's transaction.
        with transaction.atomic():
            AuditEvent.objects.create(
                instance=settings.INSTANCE, actor=actor[:120], action=action[:64], target=target[:200], detail=detail
            )
    except DatabaseError:
        logger.exception("audit event %s could not be stored", action)
