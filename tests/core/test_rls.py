"""Postgres row-level security (README "Isolation", 3. Data): every Alfred table admits only connections that say
they are this instance; the suite itself connects as an ordinary role, as a deployment must."""

from collections.abc import Iterator

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from alfred.models import Member
from alfred.rls import EXEMPT_TABLES, POLICY, UnprotectedDatabase, check_row_level_security, policy_expression
from tests.core.entry_points import configured_env, start

# The probes are other connections: they see only what the test committed.
pytestmark = pytest.mark.django_db(transaction=True)

OTHER = "biz" if settings.INSTANCE == "home" else "home"


def probe(instance: str | None) -> psycopg.Connection:
    """A new connection to this instance's test database as the app's role, saying it is ``instance`` (None: not
    saying anything, like psql or any tool without the setting)."""
    database = connection.settings_dict
    options = f"-c alfred.instance={instance}" if instance else ""
    return psycopg.connect(
        host=database["HOST"],
        port=database["PORT"],
        user=database["USER"],
        password=database["PASSWORD"] or None,
        dbname=database["NAME"],
        options=options,
        autocommit=True,
    )


def protected_tables() -> dict[str, tuple[bool, bool]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')"
        )
        return {name: (enabled, forced) for name, enabled, forced in cursor.fetchall()}


@pytest.fixture
def ana() -> Member:
    return Member.objects.create(name="Ana", language="es", is_admin=True)


def test_the_suite_connects_as_an_ordinary_role_that_says_it_is_this_instance():
    """What a deployment must do too: a superuser or BYPASSRLS role would walk through every policy."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname IN (session_user, current_user)")
        roles = cursor.fetchall()
        cursor.execute("SELECT current_setting('alfred.instance', true)")
        said = cursor.fetchone()[0]

    assert roles and all(role == (False, False) for role in roles), f"connected as {connection.settings_dict['USER']}"
    assert said == settings.INSTANCE


def test_every_table_but_the_migrations_and_the_stamp_has_row_level_security_enabled_and_forced():
    tables = protected_tables()

    assert {"alfred_member", "auth_user", "django_session", "django_admin_log"} <= set(tables)
    assert sorted(name for name, state in tables.items() if state != (True, True)) == sorted(EXEMPT_TABLES)
    assert tables["alfred_instance_stamp"] == (False, False)


def test_each_protected_table_has_one_policy_admitting_exactly_this_instance():
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename, policyname, cmd, roles, qual, with_check FROM pg_policies")
        policies = cursor.fetchall()
    expected = policy_expression(settings.INSTANCE)

    assert {row[0] for row in policies} == {name for name, state in protected_tables().items() if state[0]}
    assert {(name, cmd, tuple(roles), using, check) for _, name, cmd, roles, using, check in policies} == {
        (POLICY, "ALL", ("public",), expected, expected)
    }


@pytest.mark.parametrize("instance", [OTHER, None], ids=["other-instance", "no-setting"])
def test_a_connection_of_the_other_instance_or_of_none_sees_no_row_and_writes_none(ana, instance):
    with probe(instance) as db:
        counts = {
            table: db.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
            for table in protected_tables()
            if table not in EXEMPT_TABLES
        }
        updated = db.execute("UPDATE alfred_member SET name = 'Mallory'").rowcount
        deleted = db.execute("DELETE FROM alfred_member").rowcount
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            db.execute("INSERT INTO django_content_type (app_label, model) VALUES ('probe', 'probe')")
        # The stamp stays readable: it is how the other instance learns to refuse this database.
        stamp = db.execute("SELECT instance FROM alfred_instance_stamp").fetchall()

    assert counts and set(counts.values()) == {0}
    assert (updated, deleted) == (0, 0)
    assert list(Member.objects.values_list("name", flat=True)) == ["Ana"]
    assert stamp == [(settings.INSTANCE,)]


def test_a_connection_of_this_instance_reads_and_writes(ana):
    with probe(settings.INSTANCE) as db:
        names = db.execute("SELECT name FROM alfred_member").fetchall()
        updated = db.execute("UPDATE alfred_member SET name = 'Ana María'").rowcount
        db.execute("INSERT INTO django_content_type (app_label, model) VALUES ('probe', 'probe')")
        deleted = db.execute("DELETE FROM django_content_type WHERE app_label = 'probe'").rowcount

    assert names == [("Ana",)]
    assert (updated, deleted) == (1, 1)
    assert list(Member.objects.values_list("name", flat=True)) == ["Ana María"]


@pytest.fixture
def new_table() -> Iterator[str]:
    """A table a later migration (of any app) would create, with no row-level security of its own."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE rls_later_table (id integer PRIMARY KEY)")
    yield "rls_later_table"
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS rls_later_table")


def test_a_table_created_by_a_later_migration_is_protected_when_migrate_ends(new_table):
    assert protected_tables()[new_table] == (False, False)

    call_command("migrate", verbosity=0)
    call_command("migrate", verbosity=0)  # idempotent: a second run changes nothing and does not fail

    assert protected_tables()[new_table] == (True, True)
    with probe(OTHER) as db, pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
        db.execute(f"INSERT INTO {new_table} (id) VALUES (1)")


# --- the boot check (alfred.boot.instance_boot, every entry point) -------------------------------------------


@pytest.fixture
def unforced_table() -> Iterator[str]:
    """One table whose RLS is no longer forced, as after a hand-made change or a restore without policies."""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE alfred_member NO FORCE ROW LEVEL SECURITY")
    yield "alfred_member"
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE alfred_member FORCE ROW LEVEL SECURITY")


def test_the_boot_check_passes_on_this_database():
    check_row_level_security(settings.INSTANCE)


def test_the_boot_check_refuses_a_table_without_forced_row_level_security(unforced_table, settings):
    with pytest.raises(
        UnprotectedDatabase, match=rf"not forced \(its owner bypasses it\) on 1 table: {unforced_table}\."
    ):
        check_row_level_security(settings.INSTANCE)

    settings.ALFRED_ALLOW_UNPROTECTED_DATABASE = True
    check_row_level_security(settings.INSTANCE)  # local work, said explicitly: a warning only


def test_the_boot_check_refuses_a_connection_saying_it_is_the_other_instance(settings):
    with pytest.raises(UnprotectedDatabase, match=f"the connection's alfred.instance is '{settings.INSTANCE}', not"):
        check_row_level_security(OTHER)


@pytest.mark.parametrize("entry_point", ["web", "command"])
def test_every_entry_point_refuses_a_superuser_connection_and_says_what_to_do(entry_point, tmp_path):
    database = connection.settings_dict
    as_superuser = f"postgres://postgres@{database['HOST']}:{database['PORT']}/{database['NAME']}"

    result = start(
        entry_point, configured_env(DATABASE_URL=as_superuser, ALFRED_ALLOW_UNPROTECTED_DATABASE=None), tmp=tmp_path
    )

    assert result.returncode != 0
    for phrase in ("Row-level security is not in force", "role postgres is a superuser", "NOSUPERUSER NOBYPASSRLS"):
        assert phrase in result.stderr, result.stderr


def test_a_database_with_an_unprotected_table_is_refused_until_migrate_protects_it(unforced_table, tmp_path):
    env = configured_env()
    assert "ALFRED_ALLOW_UNPROTECTED_DATABASE" not in env, "run the suite as alfred_app (make test)"

    refused = start("web", env, tmp=tmp_path)
    migrated = start("command", env, command=("migrate", "--noinput", "-v0"), tmp=tmp_path)
    served = start("web", env, tmp=tmp_path)

    assert (
        refused.returncode != 0
        and f"not forced (its owner bypasses it) on 1 table: {unforced_table}." in refused.stderr
    ), refused.stderr
    assert migrated.returncode == 0, migrated.stderr
    assert served.returncode == 0, served.stderr
    assert protected_tables()[unforced_table] == (True, True)
