"""The per-instance Redis ACL user (README "Isolation", 3. Data), against the real Redis: a user made from
``manage.py redis_acl`` uses its cache, stamp and Celery queue, and gets NOPERM on everything of the other
instance."""

import secrets
import shlex
import threading
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from io import StringIO
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from celery import Celery, current_app
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core.cache.backends.redis import RedisCache
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from alfred.stamp import REDIS_STAMP_KEY, check_redis_stamp
from alfred.throttle import member_message_count, throttled_rank
from tests.core.entry_points import channel_credentials

OTHER = "biz" if settings.INSTANCE == "home" else "home"


def url_as(user: str, password: str) -> str:
    parts = urlsplit(settings.REDIS_URL)
    return urlunsplit(parts._replace(netloc=f"{user}:{password}@{parts.hostname}:{parts.port or 6379}"))


@pytest.fixture
def acl_url() -> Iterator[str]:
    """A Redis user created, as an operator would, from what ``manage.py redis_acl`` prints; deleted after."""
    user = f"alfred-test-{uuid.uuid4().hex[:10]}-{settings.INSTANCE}"
    url = url_as(user, secrets.token_urlsafe(16))
    out = StringIO()
    with override_settings(REDIS_URL=url):
        call_command("redis_acl", stdout=out)
    command = shlex.split(out.getvalue())
    admin = redis.Redis.from_url(settings.REDIS_URL)
    assert command[:3] == ["ACL", "SETUSER", user]
    admin.execute_command(*command)
    try:
        yield url
    finally:
        admin.execute_command("ACL", "DELUSER", user)
        admin.close()


def test_the_printed_rules_hold_no_password():
    password = secrets.token_urlsafe(16)
    out = StringIO()
    with override_settings(REDIS_URL=url_as(f"alfred-{settings.INSTANCE}", password)):
        call_command("redis_acl", stdout=out)

    assert password not in out.getvalue()
    assert f"~alfred:{settings.INSTANCE}:*" in out.getvalue()


@pytest.mark.parametrize("url", ["redis://127.0.0.1:6379/0", "redis://default:pw@127.0.0.1:6379/0"])
def test_a_url_without_the_instances_own_user_is_refused(url):
    with override_settings(REDIS_URL=url), pytest.raises(CommandError, match="own Redis user"):
        call_command("redis_acl", stdout=StringIO())


def test_the_user_uses_its_own_cache_keys_and_the_stamp(acl_url):
    cache = RedisCache(acl_url, {"KEY_PREFIX": settings.CACHES["default"]["KEY_PREFIX"]})
    cache.set("acl-probe", 41)
    cache.incr("acl-probe")

    assert cache.get("acl-probe") == 42
    cache.delete("acl-probe")
    with override_settings(REDIS_URL=acl_url):
        check_redis_stamp(settings.INSTANCE)  # GET and SET NX, as every start does
    assert redis.Redis.from_url(acl_url).get(REDIS_STAMP_KEY) == settings.INSTANCE.encode()


def test_the_user_gets_noperm_on_the_other_instances_keys_queue_and_channels(acl_url):
    other_cache = f"alfred:{OTHER}:1:member"
    other_queue = f"alfred:{OTHER}:alfred-{OTHER}"
    admin = redis.Redis.from_url(settings.REDIS_URL)
    admin.set(other_cache, "secret")
    client = redis.Redis.from_url(acl_url)
    try:
        attempts = {
            "get": lambda: client.get(other_cache),
            "set": lambda: client.set(other_cache, "x"),
            "delete": lambda: client.delete(other_cache),
            "push to its queue": lambda: client.lpush(other_queue, "{}"),
            "pop its queue": lambda: client.rpop(other_queue),
            "publish on its channel": lambda: client.publish(f"alfred:{OTHER}:/0.celery.pidbox", "x"),
            "keys": lambda: client.keys("*"),
            "scan": lambda: client.scan(0),
            "flushdb": lambda: client.flushdb(),
            "config": lambda: client.config_get("*"),
        }
        refused = {}
        for name, attempt in attempts.items():
            try:
                attempt()
            except redis.exceptions.NoPermissionError:
                refused[name] = True
            else:
                refused[name] = False
        pubsub = client.pubsub()
        with pytest.raises(redis.exceptions.NoPermissionError):
            pubsub.psubscribe("*")
            pubsub.get_message(timeout=1)
        pubsub.close()

        assert refused == dict.fromkeys(attempts, True)
        assert admin.get(other_cache) == b"secret"
    finally:
        admin.delete(other_cache)
        admin.close()
        client.close()


@pytest.mark.django_db(transaction=True)
def test_a_celery_round_trip_through_the_instances_queue_as_the_user(acl_url):
    """The production broker configuration (prefix, queue, transport options) with only the URL changed: a task
    goes through the queue to a real worker, and the worker answers a remote-control ping (pub/sub)."""
    # Not the current app: the rest of the session publishes through the instance's own app and broker.
    app = Celery("acl-probe", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(broker_url=acl_url, task_always_eager=False)
    ran = threading.Event()
    # start_worker makes its app the current and default one; the rest of the session publishes through ours.
    previous = current_app._get_current_object()

    @app.task(name="acl_probe", shared=False)
    def acl_probe(value: int) -> None:
        if value == 7:
            ran.set()

    # A worker boots like a deployment's (alfred.boot), which needs the channels' credentials.
    with ExitStack() as running:
        with override_settings(**{k: v for k, v in channel_credentials().items() if not getattr(settings, k)}):
            running.enter_context(start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10))
        acl_probe.delay(7)
        assert ran.wait(20)
        pong = app.control.ping(timeout=3)
    previous.set_current()
    previous.set_default()

    assert pong and all(reply == {"ok": "pong"} for answer in pong for reply in answer.values())


def test_the_user_may_count_a_members_messages(acl_url):
    """The message-rate count (alfred/throttle.py) keeps its keys under the instance's prefix: allowed, where a
    key outside it would fail and the limit would silently be off."""
    at = timezone.now()
    with override_settings(REDIS_URL=acl_url, ALFRED_MEMBER_MESSAGES_PER_MINUTE=1):
        counts = [member_message_count(99, at) for _ in range(2)]
        over = throttled_rank(99, at)

    assert (counts, over) == ([1, 2], 2)
