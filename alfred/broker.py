"""Celery's broker transport: kombu's Redis transport with one fix, so a Redis outage does not kill the worker.

When Redis drops the connection, Celery closes the consumer's connection, and kombu 5.7 can still reach for a
new Redis client through the closed channel: restoring unacknowledged messages while closing, or acknowledging a
task that finished meanwhile on a pool thread. Its channel then has no connection any more and kombu fails with
``AttributeError`` (``'NoneType' object has no attribute 'hostname'`` / ``'client'``), which is not an error
Celery expects from the broker: the worker stopped ("Unrecoverable error") and with it the whole machine
(fly/start.sh). Here that state raises Redis's ``ConnectionError`` instead, which Celery handles as the lost
connection it is (it reconnects). Nothing is lost by it: an unacknowledged message is redelivered after Redis's
visibility timeout if Redis kept it, and its row is in the database either way (the sweeper enqueues it again;
every stage claims its row, so a repeat does nothing twice).

Selected by ``CELERY_BROKER_TRANSPORT`` in settings/base.py; tested by tests/channels_wa/test_redis_outage.py.
"""

from typing import Any

from kombu.transport import redis as kombu_redis
from redis.exceptions import ConnectionError as RedisConnectionError


class Channel(kombu_redis.Channel):
    def _connparams(self, asynchronous: bool = False) -> Any:
        if self.connection is None or self.connection.client is None:
            raise RedisConnectionError("the broker connection is closed")
        return super()._connparams(asynchronous=asynchronous)  # type: ignore[misc]  # (not in kombu's stubs)


class Transport(kombu_redis.Transport):
    Channel = Channel
