"""Two members adding the same item at the same moment end with one line and the summed quantity.

Real threads on real Postgres: each thread has its own connection and transaction."""

import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections, transaction

from home_skills.models import Item, ItemState, ListChange, ShoppingList
from home_skills.services.lists import ItemSpec, grocery_items_add

pytestmark = [pytest.mark.home, pytest.mark.django_db(transaction=True)]


def in_thread(work: Callable[[], None], errors: list[BaseException]) -> threading.Thread:
    def run() -> None:
        try:
            work()
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)
        finally:
            connections.close_all()

    return threading.Thread(target=run)


def wait_until_waiting_on_a_lock(backends: list[int], *, count: int, failure: str) -> None:
    """Poll Postgres (up to ~20 s) until ``count`` of these backends wait on a lock. ``backends`` is read
    afresh each time: a thread may still be adding its own pid."""
    with connection.cursor() as cursor:
        for _attempt in range(2000):
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s) AND wait_event_type = 'Lock'",
                [list(backends) or [0]],
            )
            if cursor.fetchone()[0] >= count:
                return
            threading.Event().wait(0.01)
    pytest.fail(failure)


def test_members_adding_the_same_items_at_the_same_moment_get_one_line_each_with_the_sum(transactional_family):
    groceries = ShoppingList.objects.get(name="groceries")
    members = list(transactional_family.values())
    rounds = 5
    barrier = threading.Barrier(len(members))
    errors: list[BaseException] = []

    def adder(member_index: int) -> Callable[[], None]:
        def work() -> None:
            for round_number in range(rounds):
                barrier.wait(timeout=30)
                name = f"bananas {round_number}" if member_index % 2 else f"Banana {round_number}"
                grocery_items_add(shopping_list=groceries, items=[ItemSpec(name=name)], member=members[member_index])

        return work

    threads = [in_thread(adder(i), errors) for i in range(len(members))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors, errors
    lines = Item.objects.filter(state=ItemState.OPEN).order_by("normalised_name")
    assert [(line.normalised_name, line.quantity) for line in lines] == [
        (f"banana {n}", len(members)) for n in range(rounds)
    ]
    assert ListChange.objects.count() == rounds * len(members)


def test_the_second_insert_of_a_name_waits_for_the_first_and_then_merges_into_it(transactional_family):
    """Forces the worst interleaving: Leo's insert is blocked on Ana's uncommitted row, then Ana commits."""
    groceries = ShoppingList.objects.get(name="groceries")
    ana_inserted, ana_may_commit = threading.Event(), threading.Event()
    errors: list[BaseException] = []
    leo_backend: list[int] = []

    def ana() -> None:
        with transaction.atomic():
            grocery_items_add(
                shopping_list=groceries, items=[ItemSpec(name="milk")], member=transactional_family["Ana"]
            )
            ana_inserted.set()
            ana_may_commit.wait(timeout=30)

    def leo() -> None:
        ana_inserted.wait(timeout=30)
        leo_backend.append(connection.cursor().connection.info.backend_pid)
        grocery_items_add(shopping_list=groceries, items=[ItemSpec(name="Milk")], member=transactional_family["Leo"])

    threads = [in_thread(ana, errors), in_thread(leo, errors)]
    for thread in threads:
        thread.start()
    ana_inserted.wait(timeout=30)
    # Let Ana commit only once Leo's backend is waiting on her row lock (the unique index).
    wait_until_waiting_on_a_lock(leo_backend, count=1, failure="Leo's insert never waited on Ana's row")
    ana_may_commit.set()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors, errors
    (milk,) = Item.objects.filter(state=ItemState.OPEN)
    assert (milk.name, milk.quantity) == ("milk", 2)


def test_two_members_adding_the_same_chore_at_the_same_moment_get_one_chore_and_two_clear_answers(
    transactional_family,
):
    """Forces the race chore_create's existence check cannot see: both messages pass the check, then insert."""
    from alfred.console import Exchange, console_exchange
    from alfred.models import Status
    from home_skills.models import Chore

    senders = ["Ana", "Leo"]
    barrier = threading.Barrier(len(senders) + 1)
    locked, may_unlock = threading.Event(), threading.Event()
    backends: list[int] = []
    exchanges: dict[str, Exchange] = {}
    errors: list[BaseException] = []

    def locker() -> None:
        # Inserts into the chore table wait behind this lock; the existence checks (plain reads) do not.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {Chore._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")
            locked.set()
            may_unlock.wait(timeout=30)

    def adder(sender: str) -> Callable[[], None]:
        def work() -> None:
            locked.wait(timeout=30)
            backends.append(connection.cursor().connection.info.backend_pid)
            barrier.wait(timeout=30)
            exchanges[sender] = console_exchange("add chore water the ficus every week", sender=sender)

        return work

    threads = [in_thread(locker, errors)] + [in_thread(adder(name), errors) for name in senders]
    for thread in threads:
        thread.start()
    barrier.wait(timeout=30)
    # Release the lock only once both inserts are waiting on it, i.e. both passed the existence check.
    wait_until_waiting_on_a_lock(backends, count=len(senders), failure="the two inserts never both waited on the lock")
    may_unlock.set()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors, errors
    assert Chore.objects.filter(title__iexact="water the ficus").count() == 1
    statuses = sorted(exchange.status for exchange in exchanges.values())
    replies = sorted(exchange.reply for exchange in exchanges.values())
    assert statuses == [Status.HANDLED, Status.HANDLED]
    assert replies[0].startswith("New chore: water the ficus"), replies
    assert replies[1] == "There is already a chore called water the ficus.", replies
