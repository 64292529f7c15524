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
