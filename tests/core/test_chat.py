import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from alfred.models import Direction, Message, Status, ToolCall
from tests.core.entry_points import channel_credentials

ROOT = Path(__file__).resolve().parents[2]


def chat_json(*args: str) -> dict:
    out = StringIO()
    call_command("chat", *args, "--json", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1, lines
    return json.loads(lines[0])


@pytest.mark.django_db(transaction=True)
def test_ping_answers_pong_through_the_rules(member):
    result = chat_json("ping")

    assert result == {"reply": "pong", "path": "rules", "actions": [{"tool": "ping", "args": {}}]}
    inbound = Message.objects.get(direction=Direction.INBOUND)
    assert inbound.status == Status.HANDLED
    assert inbound.channel == "console"
    reply = Message.objects.get(direction=Direction.OUTBOUND)
    assert reply.reply_to == inbound and reply.status == Status.SENT and reply.text == "pong"
    assert ToolCall.objects.get().tool == "ping"


@pytest.mark.django_db(transaction=True)
def test_help_lists_what_this_instance_can_do_in_the_users_language(member):
    english = chat_json("help")
    spanish = chat_json("ayuda")

    assert english["actions"] == [{"tool": "help", "args": {}}]
    assert "ping" in english["reply"]
    assert english["reply"] != spanish["reply"]
    assert "Esto es lo que sé hacer" in spanish["reply"]


@pytest.mark.django_db(transaction=True)
def test_a_message_nobody_understands_gets_the_fallback_that_says_what_alfred_can_do(member):
    result = chat_json("--sender", member.name, "the weather is lovely today")

    assert result["path"] == "fallback"
    assert result["actions"] == []
    assert "help" in result["reply"] or "ayuda" in result["reply"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "text",
    ["", "   \n\t ", "x" * 10_000, "😀🎉👍", "hello\x00\x07\x1b[31m world", "ping\x00"],
    ids=["empty", "whitespace", "10k", "emoji", "control-chars", "nul-after-ping"],
)
def test_awkward_messages_get_a_reply_and_are_recorded(member, text):
    result = chat_json("--sender", member.name, text)

    assert result["reply"].strip()
    inbound = Message.objects.get(direction=Direction.INBOUND)
    assert inbound.status == Status.HANDLED
    assert "\x00" not in inbound.text and "\x07" not in inbound.text
    assert Message.objects.filter(direction=Direction.OUTBOUND, reply_to=inbound, status=Status.SENT).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_stranger_gets_one_polite_refusal_a_day_and_no_skill(member):
    first = chat_json("--sender", "+1 555 0100", "ping")
    second = chat_json("--sender", "+1 555 0100", "ping")

    assert first["actions"] == [] and first["reply"] and "pong" not in first["reply"]
    assert second == {"reply": "", "path": "", "actions": []}
    assert set(Message.objects.filter(direction=Direction.INBOUND).values_list("status", flat=True)) == {Status.REFUSED}
    assert not ToolCall.objects.exists()


def run_manage(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=60,
    )


def test_unknown_settings_module_is_a_clear_error_before_anything_starts():
    result = run_manage("chat", "ping", "--settings=settings.nowhere")

    assert result.returncode == 2
    assert "Unknown settings module 'settings.nowhere'" in result.stderr
    assert "Traceback" not in result.stderr


def test_instance_env_that_disagrees_with_the_settings_module_stops_start_up():
    other = "biz" if settings.INSTANCE == "home" else "home"
    result = run_manage("chat", "ping", f"--settings=settings.{settings.INSTANCE}", env={"INSTANCE": other})

    assert result.returncode != 0
    assert "alfred.E001" in result.stderr


@pytest.mark.parametrize("secret_key", [None, ""], ids=["unset", "empty"])
def test_outside_development_mode_a_missing_secret_key_stops_start_up(secret_key):
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update(DEBUG="0", DATABASE_URL="postgres://nobody@127.0.0.1:1/none")
    if secret_key is not None:
        env["SECRET_KEY"] = secret_key
    result = subprocess.run(
        [sys.executable, "manage.py", "check", f"--settings=settings.{settings.INSTANCE}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )

    assert result.returncode != 0
    assert "Set the SECRET_KEY environment variable" in result.stderr


@pytest.fixture(params=["sqlite", "postgres"])
def never_migrated_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a real, empty database: a new SQLite file, or a new Postgres database on the test server."""
    if request.param == "sqlite":
        path = tmp_path / "never-migrated.sqlite3"
        path.touch()
        yield f"sqlite:///{path}"
        return
    import psycopg
    from django.db import connection

    database = connection.settings_dict
    server = {"host": database["HOST"], "port": database["PORT"], "user": database["USER"], "autocommit": True}
    name = f"alfred_never_migrated_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(dbname="postgres", **server) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{name}"
    finally:
        with psycopg.connect(dbname="postgres", **server) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.parametrize("mode", [["--json", "ping"], []], ids=["one-message", "interactive"])
def test_chat_on_a_database_never_migrated_says_what_to_run_and_fails(never_migrated_database, mode):
    result = subprocess.run(
        [sys.executable, "manage.py", "chat", *mode, f"--settings=settings.{settings.INSTANCE}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        input="ping\n",
        env={**os.environ, **channel_credentials(), "DATABASE_URL": never_migrated_database},
        timeout=60,
    )

    assert result.returncode != 0
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        'CommandError: The database has no tables yet: run "python manage.py migrate" '
        '(or "make chat", which migrates and seeds).'
    ]
