import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from alfred.models import Message

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_healthz_reports_database_cache_and_migrations_healthy(client: Client):
    response = client.get("/healthz/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert any("Database" in name for name in body)
    assert any("Migrations" in name for name in body)


@pytest.mark.django_db
@pytest.mark.parametrize("accept", [None, "text/html", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8", "text/plain"])
def test_healthz_answers_200_whatever_the_client_accepts(client: Client, accept):
    """curl, browsers and load balancers' checkers send no JSON Accept header; all get the same answer."""
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}

    response = client.get("/healthz/", **headers)

    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert any("Database" in name for name in body) and any("Cache" in name for name in body)
    assert set(body.values()) == {"OK"}


@pytest.mark.django_db(transaction=True)
def test_healthz_answers_503_while_a_migration_is_unapplied(client: Client):
    """The schema behind the code: the instance must be taken out of rotation, not reported as crashed."""
    from django.db import connection
    from django.db.migrations.recorder import MigrationRecorder

    recorder = MigrationRecorder(connection)
    # The check runs in another thread on its own connection, so the change is committed, then undone.
    latest = recorder.migration_qs.filter(app="alfred").latest("id")
    latest.delete()
    try:
        response = client.get("/healthz/")
    finally:
        recorder.record_applied(latest.app, latest.name)

    assert response.status_code == 503, response.content
    failing = {name: state for name, state in response.json().items() if state != "OK"}
    assert [name for name in failing] == [name for name in failing if "Migrations" in name] != []
    assert "1 unapplied migration" in next(iter(failing.values()))
    assert client.get("/healthz/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_healthz_pings_the_celery_worker_and_redis(client: Client, settings, celery_worker_thread):
    """As on a machine: tasks go through Redis, so a worker must answer and consume this instance's queue."""
    settings.CELERY_TASK_ALWAYS_EAGER = False

    started = time.monotonic()
    response = client.get("/healthz/")

    assert response.status_code == 200, response.content
    assert response.json() == {"Database": "OK", "Cache": "OK", "Migrations": "OK", "Redis": "OK", "Celery": "OK"}
    # The first answer is enough (one worker per machine): not Celery's full ping and inspect timeouts.
    assert time.monotonic() - started < 1.0


@pytest.mark.django_db
def test_healthz_answers_503_without_a_celery_worker(client: Client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False

    response = client.get("/healthz/")

    assert response.status_code == 503, response.content
    assert response.json()["Celery"] == "unavailable: no Celery worker answered"
    assert response.json()["Database"] == "OK"


@pytest.mark.django_db
def test_healthz_answers_503_when_redis_is_unreachable_and_names_no_address(client: Client, settings):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    settings.REDIS_URL = f"redis://:s3cret@127.0.0.1:{closed}/0"

    response = client.get("/healthz/")

    assert response.status_code == 503, response.content
    assert response.json()["Redis"] == "unavailable: ConnectionError"
    assert "s3cret" not in response.content.decode() and str(closed) not in response.content.decode()


def test_the_urlconf_does_not_import_the_schema_view_the_skill_apis_or_dnspython():
    """The URLconf is read by each web process's first request: what it imports stays resident (issue 20). The
    skills' APIs (DRF's views, drf_spectacular.openapi, jinja2, unittest) load with the first /api/ request."""
    heavy = (
        "drf_spectacular.views",
        "drf_spectacular.openapi",
        "rest_framework.views",
        "jinja2",
        "dns",
        "health_check",
    )
    code = f"import sys, django; django.setup(); import alfred.urls; print(sorted(set({heavy!r}) & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)

    assert result.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.django_db
def test_admin_is_branded_per_instance_and_shows_the_message_log(client: Client, settings, member):
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)

    index = client.get("/admin/")
    log = client.get("/admin/alfred/message/?status=handled&path=rules")

    assert f"Alfred · {settings.INSTANCE.title()}" in index.content.decode()
    assert log.status_code == 200
    assert client.get("/admin/alfred/message/add/").status_code == 403


@pytest.mark.django_db
def test_the_message_log_is_read_only(client: Client, member):
    from alfred.members import conversation_for

    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)
    conversation = conversation_for(channel="console", external_id="c", member=member)
    message = Message.objects.create(
        direction="in", channel="console", conversation=conversation, text="<b>x</b>", status="handled"
    )

    page = client.get(f"/admin/alfred/message/{message.pk}/change/")
    client.post(f"/admin/alfred/message/{message.pk}/change/", {"text": "changed"})

    message.refresh_from_db()
    assert page.status_code == 200
    assert "&lt;b&gt;x&lt;/b&gt;" in page.content.decode()
    assert message.text == "<b>x</b>"
