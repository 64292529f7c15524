"""Helpers several test modules share (fixtures live in the conftest files)."""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import connection

from alfred.models import Member, MemberAddress

# Nothing listens on port 9: a broker URL that fails at once.
DEAD_BROKER = "redis://127.0.0.1:9/0"


@contextmanager
def broker_down_for_publishers() -> Iterator[None]:
    """Inside the block, publishing to Celery fails as with Redis gone; a running worker keeps its own
    connection. A test that hands work to the publisher should flush it before leaving the block."""
    from settings.celery import app

    def point_producers_at(url: str) -> None:
        app.conf.broker_url = url
        app._pool = None
        app.amqp._producer_pool = None

    working = app.conf.broker_url
    point_producers_at(DEAD_BROKER)
    try:
        yield
    finally:
        point_producers_at(working)


def all_at_once(count: int, action: Callable[[], object]) -> list[BaseException]:
    """Run ``action`` in ``count`` threads released together; the exceptions they raised."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            action()
        except BaseException as exc:  # collected for the caller to assert on
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def member_on(channel: str, address: str, *, name: str, **fields: object) -> Member:
    """A member with one address (normalised by the channel, as the admin would store it)."""
    member = Member.objects.create(name=name, **fields)
    MemberAddress.objects.create(member=member, channel=channel, address=address)
    return member
