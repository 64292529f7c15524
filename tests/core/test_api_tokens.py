"""API tokens kept as hashes (alfred/api_tokens.py): shown once by the admin action that makes them, never in the
database, found by their digest; tokens made by DRF's authtoken are carried over by migration 0009."""

import hashlib
import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from rest_framework.test import APIClient

from alfred.api_tokens import api_token_create, api_token_digest
from alfred.models import ApiToken, Member
from alfred.rls import protect_tables

# An endpoint of this instance's API that any member may read.
API = {"home": "/api/lists/", "biz": "/api/deals/"}[settings.INSTANCE]


def api(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def database_rows_holding(text: str) -> list[str]:
    """Every table of the database whose rows, as text, contain ``text`` (row-level security admits this
    instance's connection to all of them)."""
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        found = []
        for table in tables:
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT count(*) FROM {quoted} t WHERE t::text LIKE %s", [f"%{text}%"])
            if cursor.fetchone()[0]:
                found.append(table)
    return found


def made_in_the_admin(admin_client, member: Member) -> str:
    page = admin_client.post("/admin/alfred/member/", {"action": "create_api_token", "_selected_action": [member.pk]})
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    match = re.search(r"API token <code>([^<]+)</code>", page.content.decode())
    assert match, page.content.decode()[:2000]
    return match.group(1)


@pytest.mark.django_db
def test_the_admin_shows_a_new_token_once_the_database_holds_only_its_hash_and_it_authenticates(admin_client, member):
    key = made_in_the_admin(admin_client, member)

    member.refresh_from_db()
    token = ApiToken.objects.get(user=member.user)
    assert token.digest == hashlib.sha256(key.encode()).hexdigest()
    assert database_rows_holding(key) == []
    assert api(key).get(API).status_code == 200
    assert api(token.digest).get(API).status_code == 401  # the stored digest is not a key
    assert api(key[:-1] + ("A" if key[-1] != "A" else "B")).get(API).status_code == 401


@pytest.mark.django_db
def test_no_admin_page_shows_the_token_again(admin_client, member):
    key = made_in_the_admin(admin_client, member)
    member.refresh_from_db()
    token = ApiToken.objects.get(user=member.user)

    pages = [
        admin_client.get("/admin/alfred/apitoken/"),
        admin_client.get(f"/admin/alfred/apitoken/{token.pk}/change/"),
        admin_client.get(f"/admin/alfred/member/{member.pk}/change/"),
        admin_client.get("/admin/alfred/member/"),
        admin_client.post("/admin/alfred/member/", {"action": "create_api_token", "_selected_action": [member.pk]}),
    ]

    assert [page.status_code for page in pages] == [200] * 5
    assert all(key not in page.content.decode() for page in pages)
    assert "already has an API token" in pages[-1].content.decode()
    assert admin_client.get("/admin/alfred/apitoken/add/").status_code == 403


@pytest.mark.django_db
def test_deleting_the_row_revokes_the_token_and_an_inactive_login_is_refused(member):
    member.user = get_user_model().objects.create_user("member-api")
    member.save()
    key = api_token_create(user=member.user)
    assert key is not None and api(key).get(API).status_code == 200

    member.user.is_active = False
    member.user.save()
    inactive = api(key).get(API).status_code
    ApiToken.objects.all().delete()
    member.user.is_active = True
    member.user.save()

    assert inactive == 401
    assert api(key).get(API).status_code == 401
    assert api_token_create(user=member.user) is not None


@pytest.mark.django_db(transaction=True)
def test_migration_0009_hashes_authtokens_keys_and_drops_their_table(member):
    """A database that used rest_framework.authtoken: its table (as authtoken's migrations made it) with a key."""
    user = get_user_model().objects.create_user("member-old")
    executor = MigrationExecutor(connection)
    executor.migrate([("alfred", "0008_message_claimed_by")])
    old_key = "0123456789abcdef0123456789abcdef01234567"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamptz NOT NULL, "
            "user_id integer NOT NULL UNIQUE REFERENCES auth_user(id))"
        )
        cursor.execute("INSERT INTO authtoken_token VALUES (%s, now(), %s)", [old_key, user.pk])
        cursor.execute("INSERT INTO django_migrations (app, name, applied) VALUES ('authtoken', '0001_initial', now())")

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    protect_tables(connection, settings.INSTANCE)  # as ``migrate`` does after it (the executor alone does not)

    assert ApiToken.objects.get(user=user).digest == api_token_digest(old_key)
    assert "authtoken_token" not in connection.introspection.table_names()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM django_migrations WHERE app = 'authtoken'")
        assert cursor.fetchone()[0] == 0
    assert database_rows_holding(old_key) == []
    member.user = user
    member.save()
    assert api(old_key).get(API).status_code == 200  # its owner keeps using the same key
