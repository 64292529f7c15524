"""The publisher: committed work reaches the real Redis broker, a burst as one message, nothing twice."""

import logging
from collections.abc import Iterator

import pytest
from celery.signals import before_task_publish

from alfred import tasks
from alfred.handling import message_handle_task
from alfred.publisher import publisher
from settings.celery import app
from tests.helpers import broker_down_for_publishers

# Ids no row will ever have: a stray task for one of them is a no-op wherever it ends up.
NO_ROW = 10**12


@pytest.fixture
def published() -> Iterator[list[tuple[str, tuple]]]:
    """Every task published to the broker while the test runs: (task name, args)."""
    seen: list[tuple[str, tuple]] = []

    def record(sender: str, body: tuple, **kwargs: object) -> None:
        seen.append((sender, tuple(body[0])))

    before_task_publish.connect(record, weak=False)
    app.conf.task_always_eager = False
    try:
        yield seen
    finally:
        app.conf.task_always_eager = True
        before_task_publish.disconnect(record)
        with app.connection_for_write() as connection:
            connection.default_channel.queue_purge(app.conf.task_default_queue)


def handled_ids(seen: list[tuple[str, tuple]]) -> list[int]:
    ids: list[int] = []
    for name, args in seen:
        if name == "alfred.tasks.message_handle":
            ids.append(args[0])
        elif name == "alfred.tasks.fan_out":
            assert args[0] == "alfred.tasks.message_handle"
            ids.extend(args[1])
    return ids


def test_a_lone_id_is_published_as_its_own_task(published):
    publisher.submit(message_handle_task, NO_ROW)

    assert publisher.flush()
    assert published == [("alfred.tasks.message_handle", (NO_ROW,))]


def test_a_burst_goes_to_the_broker_in_fewer_messages_and_every_id_exactly_once(published):
    ids = [NO_ROW + n for n in range(20)]
    for message_id in ids:
        publisher.submit(message_handle_task, message_id)

    assert publisher.flush()
    assert sorted(handled_ids(published)) == ids
    assert len(published) < len(ids)
    assert any(name == "alfred.tasks.fan_out" for name, _ in published)


def test_fan_out_publishes_one_task_per_id(published):
    tasks.fan_out("alfred.tasks.outbound_deliver", [NO_ROW, NO_ROW + 1])

    assert published == [
        ("alfred.tasks.outbound_deliver", (NO_ROW,)),
        ("alfred.tasks.outbound_deliver", (NO_ROW + 1,)),
    ]


def test_fan_out_refuses_a_task_it_does_not_know(published):
    with pytest.raises(ValueError, match="sweep_stuck"):
        tasks.fan_out("alfred.tasks.sweep_stuck", [NO_ROW])
    assert published == []


def test_a_dead_broker_costs_a_warning_and_the_publisher_goes_on(published, caplog):
    with broker_down_for_publishers(), caplog.at_level(logging.WARNING, logger="alfred.publisher"):
        publisher.submit(message_handle_task, NO_ROW)
        assert publisher.flush()
    assert "left for the sweeper" in caplog.text

    publisher.submit(message_handle_task, NO_ROW + 1)

    assert publisher.flush()
    assert ("alfred.tasks.message_handle", (NO_ROW + 1,)) in published


@pytest.mark.django_db
def test_inline_mode_runs_the_task_in_the_caller(published):
    app.conf.task_always_eager = True
    publisher.submit(message_handle_task, NO_ROW)  # no such row: handled (as nothing) at once, nothing published

    assert published == []
    assert publisher.flush(timeout=0)
