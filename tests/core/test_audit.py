"""The audit trail: who did what, when, on which instance — recorded where it happens."""

import json
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.test import Client

from alfred.audit import audit_record, audit_record_now, database_writes
from alfred.inbox import message_record_inbound
from alfred.models import AuditEvent, Member, Message
from alfred.registry import Skill, ToolContext, ToolResult, get_registry, tool
from alfred.rules.phrasebook import Phrase, RegexPhrasebook


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


@pytest.mark.django_db
def test_a_detail_the_trail_cannot_store_is_logged_and_the_action_goes_on(member: Member, caplog: Any) -> None:
    with transaction.atomic():
        audit_record("tool.write", target="x", result=object())
        member.name = "Ana still saved"
        member.save()

    assert not AuditEvent.objects.exists()
    assert Member.objects.filter(name="Ana still saved").exists()
    assert "audit event tool.write could not be stored" in caplog.text


def send(sender: Member | None, text: str, *, provider_id: str, address: str = "console:audit") -> Message:
    """A message through the whole path (inbox → worker → outbox), inline as the suite runs tasks."""
    message_id = message_record_inbound(
        channel="console",
        provider_message_id=provider_id,
        conversation_external_id=address,
        sender=sender,
        text=text,
        raw={"text": text},
    )
    assert message_id is not None
    return Message.objects.get(pk=message_id)


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


@pytest.mark.django_db(transaction=True)
def test_a_message_in_and_its_reply_out_are_audited_once_each_by_the_worker(member: Member) -> None:
    inbound = send(member, "ping", provider_id="audit.1")
    reply = Message.objects.get(reply_to=inbound)

    [received] = events("message.inbound")
    [sent] = events("message.outbound")

    assert (received.actor, received.target) == (f"member:{member.pk}", f"message:{inbound.pk}")
    assert received.detail == {
        "channel": "console",
        "kind": "text",
        "status": "handled",
        "path": "rules",
        "conversation": inbound.conversation_id,
    }
    assert (sent.actor, sent.target) == ("alfred", f"message:{reply.pk}")
    assert sent.detail["to"] == f"member:{member.pk}"
    assert (sent.detail["status"], sent.detail["reply_to"]) == ("sent", inbound.pk)
    # A message's text is the member's, not the trail's.
    assert "ping" not in json.dumps(received.detail) and "pong" not in json.dumps(sent.detail)


@pytest.mark.django_db(transaction=True)
def test_a_strangers_message_is_audited_without_their_address() -> None:
    address = "console:+34999888777"
    inbound = send(None, "hola", provider_id="audit.stranger", address=address)

    [received] = events("message.inbound")
    [refusal] = events("message.outbound")

    assert (received.actor, received.detail["status"]) == ("stranger", "refused")
    assert refusal.detail["to"] == "stranger"
    assert inbound.conversation.external_id == address
    trail = json.dumps(list(AuditEvent.objects.values("actor", "target", "detail")))
    assert "34999888777" not in trail


@pytest.fixture
def scripted_channel(settings: Any) -> Any:
    """The test channel, whose sender raises what the test scripts (as in test_inbox)."""
    from alfred.channels import channel_descriptions
    from tests.fake_channel.channel import ScriptedSender

    settings.ALFRED_CHANNEL_APPS = [*settings.ALFRED_CHANNEL_APPS, "tests.fake_channel"]
    channel_descriptions.cache_clear()
    ScriptedSender.calls, ScriptedSender.script = 0, []
    yield ScriptedSender
    channel_descriptions.cache_clear()


@pytest.mark.django_db
def test_a_send_is_audited_once_when_its_fate_is_settled_not_at_each_retry(
    member: Member, scripted_channel: Any
) -> None:
    from alfred.channels import SendError
    from alfred.outbox import outbound_send
    from tests.core.test_inbox import outbound_row

    scripted_channel.script = [
        SendError("HTTP 503", permanent=False, code="503"),
        SendError("recipient unreachable", permanent=True, code="131026"),
    ]
    message = outbound_row(member)

    outbound_send(message.pk)
    assert events("message.outbound") == []
    outbound_send(message.pk)

    [failed] = events("message.outbound")
    assert failed.target == f"message:{message.pk}"
    assert (failed.detail["status"], failed.detail["error_code"], failed.detail["attempts"]) == ("failed", "131026", 2)


@tool()
def audit_note_write(ctx: ToolContext) -> ToolResult:
    """Changes the sender's record (a write)."""
    Member.objects.filter(pk=ctx.member.pk).update(timezone="UTC")
    return ToolResult(text="written")


@tool()
def audit_note_read(ctx: ToolContext) -> ToolResult:
    """Only reads."""
    return ToolResult(text=f"{Member.objects.count()} members")


audit_skill = Skill(
    name="audit_test",
    instances=frozenset({"home", "biz"}),
    tools=[audit_note_write, audit_note_read],
    phrasebook=RegexPhrasebook(
        [Phrase("write the note", "audit_note_write"), Phrase("read the note", "audit_note_read")]
    ),
    summary=lambda: "audit test",
)


@pytest.fixture
def with_audit_skill(settings: Any) -> Any:
    settings.ALFRED_SKILLS = [*settings.ALFRED_SKILLS, f"{__name__}.audit_skill"]
    get_registry.cache_clear()
    yield
    get_registry.cache_clear()


@pytest.mark.django_db(transaction=True)
def test_a_tool_call_that_writes_is_audited_and_one_that_only_reads_is_not(
    member: Member, with_audit_skill: Any
) -> None:
    written = send(member, "write the note", provider_id="audit.w")
    send(member, "read the note", provider_id="audit.r")

    [write] = events("tool.write")

    call = written.tool_calls.get()
    assert (write.actor, write.target) == (f"member:{member.pk}", "tool:audit_note_write")
    assert write.detail == {
        "message": written.pk,
        "tool_call": call.pk,
        "ok": True,
        "statements": 1,
        "args": [],
    }


def test_what_counts_as_a_write() -> None:
    from alfred.audit import _writes_rows

    assert _writes_rows('INSERT INTO "x" VALUES (1)')
    assert _writes_rows(' UPDATE "x" SET a = 1')
    assert _writes_rows("WITH c AS (INSERT INTO x VALUES (1) RETURNING id) SELECT id FROM c")
    assert not _writes_rows('SELECT "x"."id" FROM "x" WHERE "x"."name" = %s')
    assert not _writes_rows('SAVEPOINT "s1"')
    assert not _writes_rows("WITH c AS (SELECT 1) SELECT * FROM c")


@pytest.mark.django_db
def test_database_writes_counts_only_the_statements_run_inside_it(member: Member) -> None:
    with database_writes() as writes:
        list(Member.objects.all())
        Member.objects.filter(pk=member.pk).update(language="en")
    Member.objects.filter(pk=member.pk).update(language="es")

    assert writes.statements == 1


@pytest.mark.django_db(transaction=True)
def test_audit_record_now_keeps_the_event_when_the_callers_work_is_rolled_back() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record("egress.blocked", target="slack.com:443", host="slack.com")
        audit_record_now("egress.blocked", actor="system", target="slack.com:443", host="slack.com")
        raise RuntimeError("the blocked connection ends the caller's work")

    [kept] = AuditEvent.objects.all()
    assert (kept.instance, kept.action, kept.target, kept.detail) == (
        settings.INSTANCE,
        "egress.blocked",
        "slack.com:443",
        {"host": "slack.com"},
    )


@pytest.fixture
def admin_client(client: Client, db: None) -> Client:
    client.force_login(get_user_model().objects.create_superuser("auditor", "a@example.com", "pw"))
    return client


@pytest.mark.django_db
def test_admin_additions_and_changes_are_audited_with_who_and_which_fields(admin_client: Client) -> None:
    admin_client.post("/admin/auth/group/add/", {"name": "helpers"})
    group = Group.objects.get(name="helpers")
    admin_client.post(f"/admin/auth/group/{group.pk}/change/", {"name": "cooks"})

    [added] = events("admin.add")
    [changed] = events("admin.change")

    assert (added.actor, added.target, added.detail["object"]) == ("user:auditor", f"auth.group:{group.pk}", "helpers")
    assert (changed.actor, changed.target) == ("user:auditor", f"auth.group:{group.pk}")
    assert changed.detail["changes"] == "Changed Name."


@pytest.mark.django_db
@pytest.mark.parametrize("count", [1, 3])
def test_deleting_selected_objects_in_the_admin_audits_each_once(admin_client: Client, count: int) -> None:
    groups = [Group.objects.create(name=f"g{n}") for n in range(count)]

    admin_client.post(
        "/admin/auth/group/",
        {"action": "delete_selected", "_selected_action": [g.pk for g in groups], "post": "yes"},
    )

    assert not Group.objects.exists()
    deleted = events("admin.delete")
    assert sorted(e.target for e in deleted) == sorted(f"auth.group:{g.pk}" for g in groups)
    assert {e.actor for e in deleted} == {"user:auditor"}


@pytest.mark.django_db(transaction=True)
def test_an_admin_change_made_elsewhere_while_a_bulk_delete_runs_is_audited_once(admin_client: Client) -> None:
    import threading

    from django.contrib.admin.models import ADDITION, LogEntry
    from django.db import connection
    from django.db.models.signals import pre_delete

    groups = [Group.objects.create(name=f"g{n}") for n in range(2)]
    auditor = get_user_model().objects.get(username="auditor")

    def same_user_in_another_tab(instance: Group, **kwargs: Any) -> None:
        def add() -> None:
            added = Group.objects.create(name=f"added-while-{instance.pk}")
            LogEntry.objects.log_actions(auditor.pk, [added], ADDITION, single_object=True)
            connection.close()

        other = threading.Thread(target=add)
        other.start()
        other.join()

    pre_delete.connect(same_user_in_another_tab, sender=Group, dispatch_uid="another-tab")
    try:
        admin_client.post(
            "/admin/auth/group/",
            {"action": "delete_selected", "_selected_action": [g.pk for g in groups], "post": "yes"},
        )
    finally:
        pre_delete.disconnect(sender=Group, dispatch_uid="another-tab")

    assert len(events("admin.delete")) == 2
    assert len(events("admin.add")) == 2  # once each, by the other request's own receiver


@pytest.mark.django_db
def test_the_audit_log_in_the_admin_is_read_only_and_filtered(admin_client: Client) -> None:
    audit_record("token.rotate", actor="operator", target="meta")
    audit_record("egress.blocked", target="slack.com:443")
    event = AuditEvent.objects.get(action="token.rotate")

    listed = admin_client.get("/admin/alfred/auditevent/", {"action": "token.rotate", "q": "meta"})
    page = admin_client.get(f"/admin/alfred/auditevent/{event.pk}/change/")
    admin_client.post(f"/admin/alfred/auditevent/{event.pk}/change/", {"target": "changed"})
    delete = admin_client.post(f"/admin/alfred/auditevent/{event.pk}/delete/", {"post": "yes"})

    assert listed.status_code == 200
    assert [row.pk for row in listed.context["cl"].result_list] == [event.pk]
    assert page.status_code == 200
    assert admin_client.get("/admin/alfred/auditevent/add/").status_code == 403
    assert delete.status_code == 403
    event.refresh_from_db()
    assert event.target == "meta"
