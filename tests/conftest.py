"""Shared fixtures. The suite runs against real Postgres and Redis (see scripts/test.sh)."""

import hashlib
import hmac
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from django.conf import settings

from alfred.models import Member
from tests.helpers import member_on
from tests.log_watch import SecretWatch


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked for one instance are deselected (not skipped) under the other: they run in that
    instance's own pass, and a skip would look like coverage that is not there."""
    other = "biz" if settings.INSTANCE == "home" else "home"
    deselected = [item for item in items if item.get_closest_marker(other)]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not item.get_closest_marker(other)]


@pytest.fixture(scope="session")
def secret_watch() -> Iterator[SecretWatch]:
    """Every log record of the session, at DEBUG, through the processes' own filters (tests/log_watch.py)."""
    import logging

    root = logging.getLogger()
    watch, level = SecretWatch(), root.level
    root.addHandler(watch)
    root.setLevel(logging.DEBUG)
    yield watch
    root.removeHandler(watch)
    root.setLevel(level)


@pytest.fixture(autouse=True)
def _no_secret_in_any_log_record(secret_watch: SecretWatch) -> Iterator[None]:
    """Fails the test during which a log record (of any logger, any thread) held a configured secret after the
    redacting filter."""
    import logging

    root = logging.getLogger()
    if secret_watch not in root.handlers:
        # A test that applied a logging configuration again (dictConfig) took the handler off.
        root.addHandler(secret_watch)
    secret_watch.take()
    yield
    offences = secret_watch.take()
    if offences:
        pytest.fail("secrets in log records:\n" + "\n".join(offences), pytrace=False)


@pytest.fixture(autouse=True, scope="session")
def _egress_guard() -> None:
    """The suite runs under the egress guard, like every deployed process (alfred.boot): the stand-ins, Postgres
    and Redis are on loopback, and a test that reaches for the internet fails naming the host."""
    from alfred import egress

    egress.install()


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    from django.core.cache import cache

    from alfred.publisher import publisher

    yield
    # Ids handed to the publisher by this test go out now, not into the next test's broker.
    publisher.flush()
    cache.clear()


@pytest.fixture
def member(db: None) -> Member:
    if settings.INSTANCE == "home":
        return member_on("whatsapp", "+34600000001", name="Ana", language="es", is_admin=True)
    return Member.objects.create(name="Owner", language="en", is_admin=True)


@pytest.fixture
def celery_worker_thread(transactional_db: None) -> Iterator[object]:
    """A real Celery worker consuming this instance's queue on the real Redis broker."""
    from celery.contrib.testing.worker import start_worker
    from django.test import override_settings

    from settings.celery import app
    from tests.core.entry_points import channel_credentials

    app.conf.task_always_eager = False
    try:
        with ExitStack() as running:
            # A worker boots like a deployment's (alfred.boot), which refuses to start without the channels'
            # credentials; the tests' own settings stay as they are once it runs.
            with override_settings(**{k: v for k, v in channel_credentials().items() if not getattr(settings, k)}):
                worker = running.enter_context(
                    start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10)
                )
            yield worker
    finally:
        app.conf.task_always_eager = True


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[None]:
    """Connections opened by worker and race-test threads may outlive their thread; end them so the test
    database can be dropped at the end of the run."""
    yield
    from django.db import connection

    with django_db_blocker.unblock(), connection.cursor() as cursor:  # type: ignore[attr-defined]
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
