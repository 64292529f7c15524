"""The move from provider columns to member addresses, and from raw keys to typed content, keeps the data."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("alfred", "0003_llm_completions")]
AFTER = [("alfred", "0004_member_addresses_and_content")]


@pytest.mark.django_db(transaction=True)
def test_members_stay_reachable_and_queued_reminders_keep_their_buttons_and_template_values():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Member, Conversation, Message = (old.get_model("alfred", name) for name in ("Member", "Conversation", "Message"))
    ana = Member.objects.create(name="Ana", wa_id="34600000001", wa_user_id="US.1")
    Member.objects.create(name="Owner", slack_user_id="U0OWNER001")
    Member.objects.create(name="Nobody")
    conversation = Conversation.objects.create(channel="whatsapp", external_id="34600000001", member=ana)
    reminder = Message.objects.create(
        direction="out",
        channel="whatsapp",
        conversation=conversation,
        text="Good morning",
        status="queued",
        raw={
            "template_params": ["Ana", "dishes"],
            "buttons": [{"id": 'alfred:{"tool":"chore_done","args":{"chore":"dishes"}}', "title": "Done ✅ dishes"}],
            "acknowledge": True,
            "sent_parts": ["wamid.1"],
        },
    )

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    MemberAddress = new.get_model("alfred", "MemberAddress")
    addresses = sorted(MemberAddress.objects.values_list("member__name", "channel", "address"))
    migrated = new.get_model("alfred", "Message").objects.get(pk=reminder.pk)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert addresses == [
        ("Ana", "whatsapp", "34600000001"),
        ("Ana", "whatsapp", "US.1"),
        ("Owner", "slack", "U0OWNER001"),
    ]
    assert migrated.content == {
        "acknowledge": True,
        "buttons": [{"title": "Done ✅ dishes", "tool": "chore_done", "args": {"chore": "dishes"}}],
        "notice_values": ["Ana", "dishes"],
    }
    assert migrated.raw == {"sent_parts": ["wamid.1"]}
