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

    def _create_client(self, asynchronous: bool = False) -> Any:
        """kombu builds a new Redis client object for every command it sends outside the consuming connection
        (twice per task: noting it unacknowledged, acknowledging it), about 4% of the worker's CPU per message
        (README "Benchmarks", end to end). One client per connection pool does: a Redis client is safe to
        share between threads (each command takes a connection from the pool). A closed channel has dropped
        its pools, so it still goes through ``_connparams`` above and raises."""
        if asynchronous:
            return super()._create_client(asynchronous=True)  # type: ignore[misc]  # kombu keeps this one itself
        pool = self.pool
        kept = self.__dict__.get("_alfred_client")
        if kept is not None and kept[0] is pool:
            return kept[1]
        client = super()._create_client()  # type: ignore[misc]
        self.__dict__["_alfred_client"] = (pool, client)
        return client


class Transport(kombu_redis.Transport):
    Channel = Channel
