"""Every entry point of an instance (web, worker, beat, management commands) refuses a mixed-up configuration
and the other instance's stores. Each test starts the real process, as a deployment does."""

import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator

import psycopg
import pytest
import redis
from django.conf import settings
from django.db import connection

from alfred.models import AuditEvent
from alfred.stamp import CREATE_STAMP_TABLE, REDIS_STAMP_KEY, WRITE_STAMP
from tests.core.entry_points import ROOT, channel_credentials, configured_env, database_url, log_records, start

# Every test here reads what a separate process committed to the test database.
pytestmark = pytest.mark.django_db(transaction=True)

OTHER = "biz" if settings.INSTANCE == "home" else "home"


def refused(result: object, *phrases: str) -> bool:
    """The process exited non-zero and said each phrase on stderr."""
    assert result.returncode != 0, result.stdout + result.stderr  # type: ignore[attr-defined]
    missing = [phrase for phrase in phrases if phrase not in result.stderr]  # type: ignore[attr-defined]
    assert missing == [], result.stderr  # type: ignore[attr-defined]
    return True


# --- the channel credentials are checked in every entry point --------------------------------------------


@pytest.mark.parametrize("entry_point", ["web", "worker", "beat", "command"])
def test_every_entry_point_refuses_to_start_without_the_channel_credentials(entry_point, tmp_path):
    check_ids = {"home": "channels_wa.E001", "biz": "channels_slack.E001"}
    env = configured_env(**dict.fromkeys(channel_credentials()))

    result = start(entry_point, env, tmp=tmp_path)

    assert refused(result, check_ids[settings.INSTANCE], *channel_credentials())


@pytest.mark.parametrize("entry_point", ["web", "command"])
def test_a_configured_instance_starts(entry_point, tmp_path):
    """The control for the refusals here: the same processes start when nothing is wrong."""
    result = start(entry_point, configured_env(), tmp=tmp_path)

    assert result.returncode == 0, result.stderr


def test_the_web_process_boots_and_reads_its_urlconf_without_the_skills_or_pydantic():
    """Memory (issue 20): the web process runs no skill, so its boot does not import them (and pydantic);
    the worker's boot and the deploy's release_command (its system checks) still refuse a wrong skill."""
    heavy = ("pydantic", "alfred.registry", "drf_spectacular.views", "dns")
    code = f"import sys, settings.wsgi, alfred.urls; print(sorted(set({heavy!r}) & set(sys.modules)))"

    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=configured_env(), capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_the_refusal_is_logged_and_audited_in_the_instances_own_database(tmp_path):
    result = start("worker", configured_env(**dict.fromkeys(channel_credentials())), tmp=tmp_path)

    # A worker logs JSON lines on stdout (its refusal is also written on stderr, plainly).
    assert any(
        (line["level"], line["instance"]) == ("ERROR", settings.INSTANCE)
        and "refusing to start the worker" in str(line["message"])
        for line in log_records(result.stdout)
    ), result.stdout
    event = AuditEvent.objects.get(action="instance.start_refused")
    assert (event.instance, event.actor) == (settings.INSTANCE, "worker")
    assert "E001" in event.detail["reason"]


# --- the other instance's variables, INSTANCE, DEBUG -----------------------------------------------------


def test_a_command_refuses_the_other_instances_variables_naming_each_never_its_value(tmp_path):
    foreign = {
        "home": {"SLACK_BOT_TOKEN": "xoxb-biz-secret-4242", "IMAP_PASSWORD": "biz-mailbox-secret-4242"},
        # META_TOKEN, META_APP_SECRET or PHONE_ID would switch biz's own WhatsApp number on, and half of it is
        # refused before the checks run (tests/work_skills/test_whatsapp_number.py); these two never do.
        "biz": {"META_VERIFY_TOKEN": "home-verify-secret-4242", "META_APP_ID": "home-app-4242"},
    }[settings.INSTANCE]
    empty = {"home": "SLACK_TEAM_ID", "biz": "WHATSAPP_API_BASE"}[settings.INSTANCE]

    result = start("command", configured_env(**foreign, **{empty: ""}), tmp=tmp_path)

    assert refused(result, "alfred.E004", *(f"{name} is set" for name in foreign))
    assert empty not in result.stderr
    assert [value for value in foreign.values() if value in result.stderr + result.stdout] == []


def test_a_command_boots_the_instance_its_settings_option_names(tmp_path):
    """``--settings`` wins over DJANGO_SETTINGS_MODULE for the boot too, not only for the command."""
    env = configured_env(DJANGO_SETTINGS_MODULE=f"settings.{OTHER}")

    result = start("command", env, command=("showmigrations", f"--settings=settings.{settings.INSTANCE}"), tmp=tmp_path)

    assert result.returncode == 0, result.stderr
    crossed = start(
        "command", configured_env(), command=("showmigrations", f"--settings=settings.{OTHER}"), tmp=tmp_path
    )
    assert refused(crossed, "alfred.E001", f"INSTANCE={settings.INSTANCE!r} but the settings module is for {OTHER!r}")


def test_outside_embedded_mode_a_process_without_instance_refuses_to_start(tmp_path):
    result = start("web", configured_env(INSTANCE=None), tmp=tmp_path)

    assert refused(result, "alfred.E001", "INSTANCE is not set")


@pytest.mark.parametrize("entry_point", ["web", "command"])
def test_debug_on_a_postgres_database_refuses_to_start_and_says_why(entry_point, tmp_path):
    result = start(entry_point, configured_env(DEBUG="1"), tmp=tmp_path)

    assert refused(result, "DEBUG=1 with a Postgres DATABASE_URL", "passwords", "ALFRED_ALLOW_DEBUG_WITH_DATABASE=1")


def test_debug_on_a_postgres_database_starts_when_allowed_for_local_work(tmp_path):
    result = start("web", configured_env(DEBUG="1", ALFRED_ALLOW_DEBUG_WITH_DATABASE="1"), tmp=tmp_path)

    assert result.returncode == 0, result.stderr


# --- the instance stamp ------------------------------------------------------------------------------------


@pytest.fixture
def empty_database() -> Iterator[str]:
    """The name of a new, empty database on the test server."""
    database = connection.settings_dict
    server = {"host": database["HOST"], "port": database["PORT"], "user": database["USER"], "autocommit": True}
    name = f"alfred_stamp_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(dbname="postgres", **server) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(dbname="postgres", **server) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def tables_of(name: str) -> set[str]:
    database = connection.settings_dict
    with psycopg.connect(host=database["HOST"], port=database["PORT"], user=database["USER"], dbname=name) as db:
        rows = db.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
    return {row[0] for row in rows}


def stamp(name: str, instance: str) -> None:
    database = connection.settings_dict
    with psycopg.connect(host=database["HOST"], port=database["PORT"], user=database["USER"], dbname=name) as db:
        db.execute(CREATE_STAMP_TABLE)
        db.execute(WRITE_STAMP, [instance])


@pytest.mark.parametrize(
    ("entry_point", "command"),
    [("web", ()), ("worker", ()), ("command", ("migrate", "--noinput"))],
    ids=["web", "worker", "migrate"],
)
def test_every_entry_point_refuses_the_other_instances_database(empty_database, entry_point, command, tmp_path):
    stamp(empty_database, OTHER)
    env = configured_env(DATABASE_URL=database_url(empty_database))

    result = start(entry_point, env, command=command or ("showmigrations",), tmp=tmp_path)

    assert refused(result, f"This database belongs to Alfred-{OTHER}; this process is {settings.INSTANCE}.")
    assert tables_of(empty_database) == {"alfred_instance_stamp"}


def test_migrate_stamps_a_new_database_for_its_instance_and_it_then_starts(empty_database, tmp_path):
    env = configured_env(DATABASE_URL=database_url(empty_database))

    migrated = start("command", env, command=("migrate", "--noinput", "-v0"), tmp=tmp_path)

    assert migrated.returncode == 0, migrated.stderr
    database = connection.settings_dict
    with psycopg.connect(
        host=database["HOST"], port=database["PORT"], user=database["USER"], dbname=empty_database
    ) as db:
        assert db.execute("SELECT id, instance FROM alfred_instance_stamp").fetchall() == [(1, settings.INSTANCE)]
    served = start("web", env, tmp=tmp_path)
    assert served.returncode == 0, served.stderr


def test_an_unstamped_database_migrated_by_the_other_instance_is_refused(empty_database, tmp_path):
    """A database migrated before the stamp existed: its migrations say whose it is."""
    other_app = {"home": "work_skills", "biz": "home_skills"}[settings.INSTANCE]
    database = connection.settings_dict
    with psycopg.connect(
        host=database["HOST"], port=database["PORT"], user=database["USER"], dbname=empty_database
    ) as db:
        db.execute("CREATE TABLE django_migrations (id serial PRIMARY KEY, app text, name text, applied timestamptz)")
        db.execute("INSERT INTO django_migrations (app, name, applied) VALUES (%s, '0001_initial', now())", [other_app])
    env = configured_env(DATABASE_URL=database_url(empty_database))

    result = start("command", env, command=("migrate", "--noinput"), tmp=tmp_path)

    assert refused(result, "no instance stamp", f"({other_app})", f"this process is {settings.INSTANCE}")
    assert tables_of(empty_database) == {"django_migrations"}


def test_a_local_sqlite_database_is_stamped_and_refused_by_the_other_instance(tmp_path):
    """SQLite is local work: DEBUG is allowed on it (and the stamp works the same)."""
    path = tmp_path / "alfred.sqlite3"
    env = configured_env(DATABASE_URL=f"sqlite:///{path}", DEBUG="1")
    assert start("command", env, command=("migrate", "-v0"), tmp=tmp_path).returncode == 0
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT instance FROM alfred_instance_stamp").fetchall() == [(settings.INSTANCE,)]
        db.execute("UPDATE alfred_instance_stamp SET instance = ?", [OTHER])

    result = start("web", env, tmp=tmp_path)

    assert refused(result, f"This database belongs to Alfred-{OTHER}")


@pytest.fixture
def redis_stamp_db() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete(REDIS_STAMP_KEY)
    yield client
    client.delete(REDIS_STAMP_KEY)
    client.close()


@pytest.mark.parametrize("entry_point", ["web", "worker"])
def test_every_entry_point_refuses_the_other_instances_redis_and_audits_it(redis_stamp_db, entry_point, tmp_path):
    redis_stamp_db.set(REDIS_STAMP_KEY, OTHER)

    result = start(entry_point, configured_env(), tmp=tmp_path)

    assert refused(result, f"This Redis belongs to Alfred-{OTHER}; this process is {settings.INSTANCE}.")
    assert redis_stamp_db.get(REDIS_STAMP_KEY) == OTHER.encode()
    # The database is this instance's own, so the refusal is on its audit trail.
    assert AuditEvent.objects.filter(action="instance.start_refused", actor=entry_point).count() == 1


def test_a_new_redis_is_stamped_by_the_first_process_to_start(redis_stamp_db, tmp_path):
    result = start("web", configured_env(), tmp=tmp_path)

    assert result.returncode == 0, result.stderr
    assert redis_stamp_db.get(REDIS_STAMP_KEY) == settings.INSTANCE.encode()


def test_the_redis_stamp_lies_outside_the_instances_key_prefix():
    """The other instance has to find it: under this instance's prefix it would never look."""
    assert not REDIS_STAMP_KEY.startswith(settings.CACHES["default"]["KEY_PREFIX"])
    assert not REDIS_STAMP_KEY.startswith(settings.CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"])
