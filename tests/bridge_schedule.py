"""The calendar bridge's nightly schedule, as beat computes it (both instances' tests use it)."""

import copy
from datetime import UTC, datetime
from typing import Any

# A winter night, a summer night, and the night before Madrid moves its clocks forward (28 March 2027).
LAST_RUNS = (
    datetime(2027, 1, 14, 2, 0, tzinfo=UTC),
    datetime(2027, 7, 14, 1, 0, tzinfo=UTC),
    datetime(2027, 3, 27, 2, 0, tzinfo=UTC),
)


def next_runs(schedule: Any) -> list[datetime]:
    """When beat runs ``schedule`` next after each of ``LAST_RUNS``: beat's own arithmetic
    (``remaining_estimate``), on a copy of the schedule whose clock reads the last run."""
    runs = []
    for last in LAST_RUNS:
        clock = copy.copy(schedule)
        clock.nowfun = lambda last=last: last
        runs.append(last + clock.remaining_estimate(last))
    return runs


def nightly_runs(task: str) -> list[datetime]:
    """The next runs of ``task`` on the instance's beat schedule (its tasks modules imported, as a worker does at
    start), checked to be its one entry, a registered task, on Madrid's clock."""
    from settings.celery import app

    app.loader.import_default_modules()
    entries = [entry for entry in app.conf.beat_schedule.values() if entry["task"] == task]
    assert len(entries) == 1
    assert task in app.tasks
    schedule = entries[0]["schedule"]
    assert str(schedule.tz) == "Europe/Madrid"
    return next_runs(schedule)
