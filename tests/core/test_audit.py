"""The audit trail's one entry point."""

import pytest
from django.conf import settings

from alfred.audit import audit_record
from alfred.models import AuditEvent


@pytest.mark.django_db
def test_audit_record_stores_who_what_and_the_instance() -> None:
    audit_record("token.rotate", actor="operator", target="meta", age_days=61)

    event = AuditEvent.objects.get()
    assert (event.instance, event.actor, event.action, event.target) == (
        settings.INSTANCE,
        "operator",
        "token.rotate",
        "meta",
    )
    assert event.detail == {"age_days": 61}
