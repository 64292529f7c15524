import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from alfred import handling
from alfred.channels import SendError
from alfred.handling import inbound_claim
from alfred.inbox import message_record_inbound
from alfred.models import Direction, Member, Message, Status, ToolCall
from alfred.outbox import outbound_send
from alfred.registry import Skill, ToolContext, ToolResult, get_registry, tool
from alfred.rules.phrasebook import Phrase, RegexPhrasebook
from alfred.sweeper import sweep_stuck
from tests.core.entry_points import channel_credentials
from tests.helpers import all_at_once, broker_down_for_publishers


def record(member, provider_id: str = "wamid.1", text: str = "ping") -> tuple[Message, bool]:
    """The stored row and whether this call stored it (False for a redelivery)."""
    new_id = message_record_inbound(
        channel="console",
        provider_message_id=provider_id,
        conversation_external_id="console:test",
        sender=member,
        text=text,
        raw={"text": text},
    )
    stored = Message.objects.get(channel="console", provider_message_id=provider_id)
    assert new_id is None or new_id == stored.pk
    return stored, new_id is not None


def replies() -> list[Message]:
    return list(Message.objects.filter(direction=Direction.OUTBOUND))


@pytest.mark.django_db(transaction=True)
def test_a_redelivery_is_stored_once_and_answered_once(member):
    first, created_first = record(member)
    second, created_second = record(member)

    assert created_first and not created_second
    assert first.pk == second.pk
    assert Message.objects.filter(direction=Direction.INBOUND).count() == 1
    assert [r.text for r in replies()] == ["pong"]


@pytest.mark.django_db(transaction=True)
def test_a_redelivery_leaves_the_conversation_as_it_was(member):
    from alfred.models import Conversation, Member

    first, _ = record(member)
    week_ago = timezone.now() - timedelta(days=7)
    Conversation.objects.filter(pk=first.conversation_id).update(last_inbound_at=week_ago, member=None)
    stranger = Member.objects.create(name="Someone else")

    again, created = record(stranger)  # the same message id, now claimed by someone else

    conversation = Conversation.objects.get(pk=first.conversation_id)
    assert not created and again.pk == first.pk
    # A late copy of an old message must not reopen WhatsApp's 24-hour window nor change who the chat is with.
    assert conversation.last_inbound_at == week_ago and conversation.member_id is None


@pytest.mark.django_db(transaction=True)
def test_a_new_message_opens_the_window_and_names_its_sender_as_the_member(member):
    from alfred.models import Conversation

    first, _ = record(member)
    Conversation.objects.filter(pk=first.conversation_id).update(last_inbound_at=None, member=None)
    before = timezone.now()

    second, created = record(member, provider_id="wamid.2")

    conversation = Conversation.objects.get(pk=first.conversation_id)
    assert created and second.conversation_id == first.conversation_id
    assert conversation.member_id == member.pk
    assert conversation.last_inbound_at is not None and conversation.last_inbound_at >= before


@pytest.mark.home  # `make chat` is Alfred-Home's
def test_the_embedded_database_records_a_message_once_too(tmp_path):
    """``make chat`` runs on SQLite, where the inbox takes its two-statement path."""
    import json
    import os
    import sqlite3
    import subprocess
    import sys
    from pathlib import Path

    from django.conf import settings as django_settings

    database = tmp_path / "chat.sqlite3"
    env = {
        key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "OPENAI_API_KEY", "OPENAI_BASE_URL")
    }
    env.update(
        channel_credentials(),
        DATABASE_URL=f"sqlite:///{database}",
        DJANGO_SETTINGS_MODULE=f"settings.{django_settings.INSTANCE}",
        TASKS_INLINE="1",
    )

    def chat(text: str) -> dict[str, object]:
        result = subprocess.run(
            [sys.executable, "manage.py", "chat", "--setup", "--json", text],
            cwd=Path(__file__).resolve().parents[2],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout.strip().splitlines()[-1])

    assert chat("ping")["reply"] == "pong"
    assert chat("ping")["reply"] == "pong"

    with sqlite3.connect(database) as db:
        conversations = db.execute("SELECT count(*), max(last_inbound_at) FROM alfred_conversation").fetchone()
        inbound = db.execute(
            "SELECT count(*), count(DISTINCT provider_message_id) FROM alfred_message WHERE direction = 'in'"
        ).fetchone()
    assert conversations[0] == 1 and conversations[1] is not None
    assert inbound == (2, 2)


@pytest.mark.django_db(transaction=True)
def test_the_same_delivery_from_ten_threads_at_once_is_one_message_and_one_reply(member):
    errors = all_at_once(10, lambda: record(member, provider_id="wamid.race"))

    assert errors == []
    assert Message.objects.filter(direction=Direction.INBOUND).count() == 1
    assert [r.text for r in replies()] == ["pong"]


@pytest.mark.django_db(transaction=True)
def test_handling_twice_does_not_answer_twice(member):
    message, _ = record(member)
    handling.message_handle(message.pk)
    handling.message_handle(message.pk)

    assert len(replies()) == 1


@pytest.mark.django_db(transaction=True)
def test_a_message_recorded_while_the_broker_is_down_is_handled_by_the_sweeper_after_it_returns(
    member, celery_worker_thread, settings
):
    from alfred.publisher import publisher

    with broker_down_for_publishers():
        started = time.monotonic()
        message, created = record(member, provider_id="wamid.broker-down")
        assert created
        assert time.monotonic() - started < 5, "recording must not hang on a dead broker"
        # The publisher tries the dead broker after the request has returned; wait for that attempt.
        assert publisher.flush()
    message.refresh_from_db()
    assert message.status == Status.RECEIVED

    report = sweep_stuck(now=timezone.now() + timedelta(seconds=settings.ALFRED_SWEEP_AFTER_SECONDS + 1))

    assert report.inbound_requeued == 1
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        message.refresh_from_db()
        if message.status == Status.HANDLED and replies() and replies()[0].status == Status.SENT:
            break
        time.sleep(0.1)
    assert message.status == Status.HANDLED
    assert [(r.text, r.status) for r in replies()] == [("pong", Status.SENT)]


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_messages_reaches_the_worker_through_fan_out_and_each_is_answered_once(member, celery_worker_thread):
    from celery.signals import before_task_publish

    from alfred.publisher import publisher

    published: list[str] = []

    def seen(sender: str, **kwargs: object) -> None:
        published.append(sender)

    before_task_publish.connect(seen, weak=False)
    try:
        messages = [record(member, provider_id=f"wamid.burst.{n}")[0] for n in range(6)]
        assert publisher.flush()
    finally:
        before_task_publish.disconnect(seen)
    assert "alfred.tasks.fan_out" in published

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if Message.objects.filter(direction=Direction.OUTBOUND, status=Status.SENT).count() >= len(messages):
            break
        time.sleep(0.1)
    assert sorted(Message.objects.filter(direction=Direction.INBOUND).values_list("status", flat=True)) == [
        Status.HANDLED
    ] * len(messages)
    assert sorted(r.reply_to_id for r in replies()) == sorted(m.pk for m in messages)
    assert {(r.text, r.status) for r in replies()} == {("pong", Status.SENT)}


@pytest.fixture
def test_channel(settings):
    from alfred.channels import channel_descriptions
    from tests.fake_channel.channel import ScriptedSender

    settings.ALFRED_CHANNEL_APPS = [*settings.ALFRED_CHANNEL_APPS, "tests.fake_channel"]
    channel_descriptions.cache_clear()
    ScriptedSender.calls, ScriptedSender.script = 0, []
    yield ScriptedSender
    channel_descriptions.cache_clear()


def outbound_row(member) -> Message:
    from alfred.members import conversation_for

    conversation = conversation_for(channel="test", external_id="x", member=member)
    return Message.objects.create(
        direction=Direction.OUTBOUND, channel="test", conversation=conversation, text="hi", status=Status.QUEUED
    )


@pytest.mark.django_db
def test_transient_send_errors_are_retried_and_the_message_goes_out_once(member, test_channel):
    test_channel.script = [SendError("HTTP 503", permanent=False, code="503")] * 2
    message = outbound_row(member)

    first = outbound_send(message.pk)
    assert first.retry_in == 4.0  # 4^1
    second = outbound_send(message.pk)
    assert second.retry_in == 16.0  # 4^2
    third = outbound_send(message.pk)
    fourth = outbound_send(message.pk)  # already sent: the claim fails, the provider is not called

    message.refresh_from_db()
    assert third.sent and not fourth.sent
    assert test_channel.calls == 3
    assert message.status == Status.SENT and message.provider_message_id == f"provider-{message.pk}"
    assert message.attempts == 3


class DatabaseGoesAway:
    """A database that fails its Nth statement (counted from when the wrapper is installed): Django's
    execute wrapper, so the failure comes from the database layer exactly where a real outage would."""

    def __init__(self, fail_at: int) -> None:
        self.fail_at, self.statements = fail_at, 0

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        self.statements += 1
        if self.statements == self.fail_at:
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)


@pytest.mark.django_db(transaction=True)  # as in a worker: each statement commits on its own
def test_a_database_failure_before_the_provider_call_never_loses_the_reply(member, test_channel):
    # Every statement outbound_send runs before it calls the provider may be the one that fails. After
    # any such failure the row must be either still queued (the sweeper sends it) or really sent: a row
    # left "sending" with no call made is lost, since on a channel without delivery reports (this one) the
    # sweeper never resends an interrupted send.
    statements_before_send = 0
    for fail_at in range(1, 8):
        test_channel.calls = 0
        message = outbound_row(member)
        outage = DatabaseGoesAway(fail_at)
        try:
            with connection.execute_wrapper(outage):
                outbound_send(message.pk)
        except OperationalError:
            pass
        message.refresh_from_db()
        if test_channel.calls == 0:
            statements_before_send = fail_at
            assert message.status == Status.QUEUED, f"statement {fail_at} failed: row left {message.status}"
        else:
            break
    assert statements_before_send >= 1  # the loop did reach a failure before the provider call


def inbound_row(member, provider_id: str) -> Message:
    from alfred.members import conversation_for

    conversation = conversation_for(channel="console", external_id="console:test", member=member)
    return Message.objects.create(
        direction=Direction.INBOUND,
        channel="console",
        provider_message_id=provider_id,
        conversation=conversation,
        sender=member,
        text="ping",
        status=Status.RECEIVED,
    )


@pytest.mark.django_db(transaction=True)
def test_a_database_failure_while_handling_gives_the_message_back_and_it_is_answered_once(member):
    # Every statement handling runs may be the one a Postgres restart breaks. The row must then be closed with
    # its one reply, or back in "received" for the sweeper: never left "handling" by a worker that is alive,
    # which nothing takes back before the lease (tests/channels_wa/test_postgres_restart.py found both).
    given_back = 0
    for fail_at in range(1, 40):
        message = inbound_row(member, f"wamid.away.{fail_at}")
        outage = DatabaseGoesAway(fail_at)
        try:
            with connection.execute_wrapper(outage):
                handling.message_handle(message.pk)
        except OperationalError:
            pass
        message.refresh_from_db()
        assert message.status != Status.HANDLING, f"statement {fail_at} failed: row left handling"
        if message.status == Status.RECEIVED:
            given_back += 1
            handling.message_handle(message.pk)  # as the sweeper's task does, the database back
            message.refresh_from_db()
        assert message.status in (Status.HANDLED, Status.FAILED), f"statement {fail_at}: {message.status}"
        assert Message.objects.filter(reply_to=message).count() == 1, f"statement {fail_at} failed"
        if outage.statements < fail_at:  # handling ran through before that statement
            break
    assert given_back >= 2  # failures before the claim and after it were reached


@pytest.mark.django_db
def test_a_permanent_send_error_fails_the_row_without_retry(member, test_channel):
    test_channel.script = [SendError("recipient unreachable", permanent=True, code="131026")]
    message = outbound_row(member)

    outcome = outbound_send(message.pk)

    message.refresh_from_db()
    assert outcome.retry_in is None
    assert message.status == Status.FAILED and message.error_code == "131026"


@pytest.mark.django_db
def test_the_sweeper_requeues_stuck_rows_and_fails_an_interrupted_send_on_a_channel_without_reports(member):
    now = timezone.now()
    waiting = outbound_row(member)
    interrupted = outbound_row(member)
    Message.objects.filter(pk=interrupted.pk).update(status=Status.SENDING, claimed_at=now - timedelta(hours=1))
    seen: list[tuple[str, int]] = []

    report = sweep_stuck(
        now=now + timedelta(minutes=1), enqueue=lambda task, ids: seen.extend((task.name, pk) for pk in ids)
    )

    assert seen == [("alfred.tasks.outbound_deliver", waiting.pk)]
    assert report.outbound_abandoned == 1
    interrupted.refresh_from_db()
    assert interrupted.status == Status.FAILED


@tool()
def outlive_the_lease(ctx: ToolContext) -> ToolResult:
    """While this worker's tool runs, its lease runs out and a second worker claims the message (what the
    sweeper does after ALFRED_HANDLING_LEASE_SECONDS)."""
    Message.objects.filter(pk=ctx.message.pk).update(claimed_at=timezone.now() - timedelta(hours=1))
    assert inbound_claim(ctx.message.pk) is not None
    return ToolResult(text="done slowly")


slow_skill = Skill(
    name="slow",
    instances=frozenset({"home", "biz"}),
    tools=[outlive_the_lease],
    phrasebook=RegexPhrasebook([Phrase("slow", "outlive_the_lease")]),
    summary=lambda: "slow",
)


@pytest.mark.django_db(transaction=True)
def test_a_worker_whose_lease_was_taken_over_does_not_reply(member, settings):
    settings.ALFRED_SKILLS = [*settings.ALFRED_SKILLS, f"{__name__}.slow_skill"]
    get_registry.cache_clear()
    try:
        message, _ = record(member, provider_id="wamid.lease", text="slow")
    finally:
        get_registry.cache_clear()

    message.refresh_from_db()
    assert ToolCall.objects.get(message=message).tool == "outlive_the_lease"
    assert replies() == []
    assert message.status == Status.HANDLING  # the second worker's claim stands; it answers once


def test_the_inbox_statement_names_every_column_of_both_tables():
    """The one-statement insert lists its columns by hand; a column added to either model must be added there."""
    from alfred.inbox import CONVERSATION_COLUMNS, INBOX_INSERT, MESSAGE_COLUMNS
    from alfred.models import Conversation

    def columns(model: type) -> set[str]:
        return {field.column for field in model._meta.local_concrete_fields if not field.primary_key}

    assert set(CONVERSATION_COLUMNS) == columns(Conversation)
    assert set(MESSAGE_COLUMNS) == columns(Message)
    assert f"INSERT INTO {Conversation._meta.db_table} " in INBOX_INSERT
    assert f"INSERT INTO {Message._meta.db_table} " in INBOX_INSERT


def postgres_sessions_opened() -> int:
    """Sessions ever opened to the test database (Postgres counts them per database since version 14)."""
    from django.db import connection as test_connection

    with test_connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
        return int(cursor.fetchone()[0])


@pytest.mark.django_db(transaction=True)
def test_the_worker_keeps_its_database_connection_across_tasks(member, celery_worker_thread):
    # Celery's Django fix-up used to close the connection around every task: two new Postgres connections
    # per message. Now the worker keeps its connection as a web thread does (CONN_MAX_AGE).
    from alfred.publisher import publisher

    record(member, provider_id="wamid.warm-up")  # the worker thread opens its connection once
    assert publisher.flush()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and Message.objects.filter(status=Status.SENT).count() < 1:
        time.sleep(0.05)
    before = postgres_sessions_opened()

    for n in range(10):
        record(member, provider_id=f"wamid.connections.{n}")
        assert publisher.flush()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and Message.objects.filter(status=Status.SENT).count() < n + 2:
            time.sleep(0.05)

    assert Message.objects.filter(direction=Direction.OUTBOUND, status=Status.SENT).count() == 11
    opened = postgres_sessions_opened() - before
    print(f"new Postgres sessions for 10 messages: {opened}")
    assert opened <= 1, f"{opened} new connections for 10 messages handled by one worker"


class DatabaseAwayAfterTheSend:
    """Every statement fails for the first ``outage`` statements after the provider call: a Postgres restart
    just after the reply went out."""

    def __init__(self, channel, outage: int) -> None:  # type: ignore[no-untyped-def]
        self.channel, self.left = channel, outage

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        if self.channel.calls and self.left:
            self.left -= 1
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)


@pytest.mark.django_db(transaction=True)
def test_a_reply_that_went_out_is_recorded_as_sent_through_a_short_database_outage(member, test_channel):
    message = outbound_row(member)

    with connection.execute_wrapper(DatabaseAwayAfterTheSend(test_channel, outage=3)):
        outcome = outbound_send(message.pk)

    message.refresh_from_db()
    assert test_channel.calls == 1
    assert outcome.sent and message.status == Status.SENT
    # So the sweeper never calls it an interrupted send.
    assert sweep_stuck(now=timezone.now() + timedelta(hours=1), queue_depth=lambda: 0).outbound_abandoned == 0


@pytest.fixture
def in_a_worker() -> Iterator[list[str]]:
    """Tasks run as a worker runs them (not inline); the names of the tasks published meanwhile."""
    from celery.signals import before_task_publish

    from alfred.publisher import publisher
    from settings.celery import app

    seen: list[str] = []

    def record_publish(sender: str, **kwargs: object) -> None:
        seen.append(sender)

    before_task_publish.connect(record_publish, weak=False)
    app.conf.task_always_eager = False
    try:
        yield seen
    finally:
        publisher.flush()
        app.conf.task_always_eager = True
        before_task_publish.disconnect(record_publish)
        with app.connection_for_write() as broker:
            broker.default_channel.queue_purge(app.conf.task_default_queue)


def ping_on_the_test_channel(member: Member) -> Message:
    """An inbound "ping" on the test channel, its handling task published (and left unconsumed)."""
    from alfred.publisher import publisher

    message_record_inbound(
        channel="test",
        provider_message_id="wamid.here",
        conversation_external_id="test:here",
        sender=member,
        text="ping",
        raw={"text": "ping"},
    )
    assert publisher.flush()
    return Message.objects.get(channel="test", provider_message_id="wamid.here")


@pytest.mark.django_db(transaction=True)
def test_in_a_worker_the_handling_task_sends_its_reply_itself_once(member, test_channel, in_a_worker):
    message = ping_on_the_test_channel(member)

    handling.message_handle_task(message.pk)
    handling.message_handle_task(message.pk)  # redelivered: nothing twice

    assert [(r.text, r.status) for r in replies()] == [("pong", Status.SENT)]
    assert test_channel.calls == 1
    assert "alfred.tasks.outbound_deliver" not in in_a_worker


@pytest.mark.django_db(transaction=True)
def test_in_a_worker_a_transient_failure_of_the_reply_is_retried_by_its_own_task(member, test_channel, in_a_worker):
    test_channel.script = [SendError("HTTP 503", permanent=False, code="503")]
    message = ping_on_the_test_channel(member)

    handling.message_handle_task(message.pk)

    assert [(r.text, r.status) for r in replies()] == [("pong", Status.QUEUED)]
    assert in_a_worker.count("alfred.tasks.outbound_deliver") == 1


class ClaimFails:
    """The outbox's claim of a row fails, as with the database gone for that one statement."""

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        if sql.startswith("UPDATE") and Status.SENDING in (params or ()):
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)


@pytest.mark.django_db(transaction=True)
def test_in_a_worker_a_reply_the_handling_task_could_not_send_goes_to_its_own_task(member, test_channel, in_a_worker):
    from alfred.publisher import publisher

    message = ping_on_the_test_channel(member)

    with connection.execute_wrapper(ClaimFails()):
        handling.message_handle_task(message.pk)
    assert publisher.flush()

    message.refresh_from_db()
    assert message.status == Status.HANDLED
    assert [(r.text, r.status) for r in replies()] == [("pong", Status.QUEUED)]
    assert test_channel.calls == 0
    assert in_a_worker.count("alfred.tasks.outbound_deliver") == 1


@pytest.mark.django_db(transaction=True)
def test_a_row_claimed_since_it_was_read_is_not_sent_on_what_was_read(member, test_channel):
    test_channel.script = [SendError("HTTP 503", permanent=False, code="503")]
    message = outbound_row(member)
    read_before = Message.objects.select_related("conversation", "reply_to").get(pk=message.pk)
    assert outbound_send(message.pk).retry_in is not None  # another worker's attempt: back to queued

    outcome = outbound_send(message.pk, recorded=read_before)

    message.refresh_from_db()
    assert not outcome.sent and test_channel.calls == 1
    assert message.status == Status.QUEUED and message.attempts == 1


@pytest.mark.django_db
def test_the_claimed_row_reads_as_the_orm_reads_it_with_its_conversation_and_sender(member):
    from django.forms.models import model_to_dict

    Message.objects.update(status=Status.HANDLED)  # nothing else around to claim
    message_id = message_record_inbound(
        channel="console",
        provider_message_id="wamid.read-back",
        conversation_external_id="console:read-back",
        sender=member,
        text="ping ✓",
        raw={"nested": {"list": [1, "two", None]}, "text": "ping ✓"},
        intent={"tool": "ping", "args": {}},
    )
    assert message_id is not None

    claimed = inbound_claim(message_id)

    assert claimed is not None
    stored = Message.objects.select_related("conversation", "sender").get(pk=message_id)
    assert claimed.status == Status.HANDLING and claimed.claimed_at is not None
    assert model_to_dict(claimed) == model_to_dict(stored)
    assert (claimed.pk, claimed.created_at, claimed.updated_at) == (stored.pk, stored.created_at, stored.updated_at)
    assert model_to_dict(claimed.conversation) == model_to_dict(stored.conversation)
    assert claimed.conversation.last_inbound_at == stored.conversation.last_inbound_at
    assert claimed.sender is not None and model_to_dict(claimed.sender) == model_to_dict(member)
    assert inbound_claim(message_id) is None  # claimed already, within its lease


@pytest.mark.django_db
def test_message_update_changes_only_the_rows_its_conditions_match(member):
    from alfred.statements import message_update

    message = outbound_row(member)
    claimed_at = timezone.now()
    Message.objects.filter(pk=message.pk).update(status=Status.SENDING, claimed_at=claimed_at)

    assert message_update({"id": message.pk, "status": Status.QUEUED}, status=Status.FAILED) == 0
    assert message_update({"id": message.pk, "claimed_at": claimed_at - timedelta(seconds=1)}, error="x") == 0
    changed = message_update(
        {"id": message.pk, "status": Status.SENDING, "claimed_at": claimed_at},
        status=Status.SENT,
        raw={"sent_parts": ["a", "b"]},
        sent_at=claimed_at,
    )

    message.refresh_from_db()
    assert changed == 1
    assert (message.status, message.raw, message.sent_at, message.error) == (
        Status.SENT,
        {"sent_parts": ["a", "b"]},
        claimed_at,
        "",
    )
