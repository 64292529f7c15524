"""Chores: rotation, next due on either basis, skip, snooze, and the chat tools around them."""

from datetime import UTC, date, datetime, timedelta

import pytest

from alfred.models import Member
from home_skills import selectors
from home_skills.models import Chore, ChoreCompletion
from home_skills.services import Rejected
from home_skills.services.chores import chore_complete, chore_create, chore_skip_occurrence, chore_snooze_days
from tests.helpers import member_on
from tests.home_skills.conftest import tool_call

pytestmark = pytest.mark.home

MONDAY = date(2025, 1, 6)


@pytest.fixture
def people(db: None) -> dict[str, Member]:
    return {
        name: member_on("whatsapp", f"+3460000000{n}", name=name, language="en")
        for n, name in enumerate(["Ana", "Leo", "Maria"], start=1)
    }


def make(title: str, rule: str, assignees: list[Member], *, today: date = MONDAY, **extra: str) -> Chore:
    return chore_create(title=title, recurrence=rule, assignees=assignees, member=None, today=today, **extra)


def test_round_robin_hands_the_chore_to_the_next_in_turn_and_back(people):
    chore = make("dishes", "FREQ=DAILY", [people["Leo"], people["Maria"]])
    turns = []
    for day in range(4):
        outcome = chore_complete(chore=chore, member=None, today=MONDAY + timedelta(days=day))
        turns.append((outcome.next_due, outcome.next_assignee.name))

    assert chore.strategy == Chore.Strategy.ROUND_ROBIN and chore.current_assignee == people["Leo"]
    assert turns == [
        (date(2025, 1, 7), "Maria"),
        (date(2025, 1, 8), "Leo"),
        (date(2025, 1, 9), "Maria"),
        (date(2025, 1, 10), "Leo"),
    ]


def test_fewest_completions_gives_the_chore_to_whoever_has_done_it_least(people):
    ana, leo, maria = people["Ana"], people["Leo"], people["Maria"]
    chore = make("bathroom", "FREQ=WEEKLY", [ana, leo, maria], strategy=Chore.Strategy.FEWEST)
    for member in (ana, ana, maria):
        ChoreCompletion.objects.create(chore=chore, member=member)

    first = chore_complete(chore=chore, member=ana, today=MONDAY)
    second = chore_complete(chore=chore, member=leo, today=MONDAY + timedelta(days=7))

    assert first.next_assignee == leo  # Ana 3, Leo 0, Maria 1
    assert second.next_assignee == maria  # Ana 3, Leo 1, Maria 1: Maria did hers longer ago


def test_fixed_strategy_keeps_the_same_person(people):
    chore = make("trash", "FREQ=WEEKLY;BYDAY=MO,TH", [people["Leo"]])

    outcome = chore_complete(chore=chore, member=people["Ana"], today=MONDAY)

    assert (outcome.next_due, outcome.next_assignee) == (date(2025, 1, 9), people["Leo"])
    assert ChoreCompletion.objects.get().member == people["Ana"]
    assert ChoreCompletion.objects.get().assignee == people["Leo"]


def test_due_date_basis_keeps_the_calendar_and_completion_basis_counts_from_the_day_it_was_done(people):
    by_calendar = make("mop", "FREQ=WEEKLY", [people["Ana"]])
    by_completion = make("fridge", "FREQ=WEEKLY", [people["Ana"]], basis=Chore.Basis.COMPLETION)
    wednesday = MONDAY + timedelta(days=2)

    calendar = chore_complete(chore=by_calendar, member=None, today=wednesday)
    completion = chore_complete(chore=by_completion, member=None, today=wednesday)

    assert by_calendar.next_due == by_completion.next_due == MONDAY
    assert calendar.next_due == date(2025, 1, 13)  # still Mondays
    assert completion.next_due == date(2025, 1, 15)  # a week after the Wednesday it was done


def test_a_chore_done_days_late_is_next_due_on_the_next_date_of_its_schedule_not_in_the_past(people):
    chore = make("dishes", "FREQ=DAILY", [people["Leo"]])

    outcome = chore_complete(chore=chore, member=None, today=MONDAY + timedelta(days=3))

    assert outcome.next_due == date(2025, 1, 10)


def test_saying_done_twice_the_same_day_does_not_complete_the_next_occurrence(people):
    today = selectors.local_today(people["Leo"])
    chore = make("dishes", "FREQ=DAILY", [people["Leo"], people["Maria"]], today=today)

    first = chore_complete(chore=chore, member=people["Leo"], today=today)
    second = chore_complete(chore=chore, member=people["Leo"], today=today)

    assert first.completed and (first.next_due, first.next_assignee) == (today + timedelta(days=1), people["Maria"])
    assert second.already_done and not second.completed
    assert (second.next_due, second.next_assignee) == (today + timedelta(days=1), people["Maria"])
    assert ChoreCompletion.objects.count() == 1


def test_skip_moves_to_the_next_occurrence_without_crediting_anyone_or_rotating(people):
    chore = make("dishes", "FREQ=DAILY", [people["Leo"], people["Maria"]])

    skipped = chore_skip_occurrence(chore=chore, member=people["Ana"], today=MONDAY)

    assert skipped.next_due == date(2025, 1, 7)
    assert skipped.current_assignee == people["Leo"]
    record = ChoreCompletion.objects.get()
    assert (record.kind, record.due_date, record.assignee) == ("skipped", MONDAY, people["Leo"])


def test_snooze_pushes_the_due_date_and_refuses_silly_numbers(people):
    chore = make("trash", "FREQ=WEEKLY;BYDAY=MO,TH", [people["Leo"]])

    snoozed = chore_snooze_days(chore=chore, days=1, today=MONDAY)

    assert snoozed.next_due == date(2025, 1, 7)
    for days in (0, -1, 61):
        with pytest.raises(Rejected):
            chore_snooze_days(chore=chore, days=days, today=MONDAY)


def test_a_one_off_chore_is_done_once(people):
    chore = make("fix the tap", "", [people["Ana"]])

    outcome = chore_complete(chore=chore, member=people["Ana"], today=MONDAY)

    chore.refresh_from_db()
    assert outcome.next_due is None and not chore.is_active


@pytest.mark.parametrize(
    "rule", ["FREQ=HOURLY", "FREQ=SECONDLY", "every day", "FREQ=WEEKLY;BYDAY=XX", "FREQ=DAILY;COUNT=0"]
)
def test_a_recurrence_that_is_not_a_sane_rrule_is_refused(people, rule):
    with pytest.raises(Rejected):
        make("odd", rule, [])


def test_who_projects_the_rotation_onto_the_day_asked(people):
    chore = make("dishes", "FREQ=DAILY", [people["Leo"], people["Maria"]])

    on = [selectors.chore_on(chore, MONDAY + timedelta(days=n), today=MONDAY) for n in range(3)]

    assert [(o.day, o.assignee.name) for o in on] == [
        (MONDAY, "Leo"),
        (date(2025, 1, 7), "Maria"),
        (date(2025, 1, 8), "Leo"),
    ]


def test_chores_due_on_a_day_include_the_overdue_ones_today(people):
    make("dishes", "FREQ=DAILY", [people["Leo"]])
    make("laundry", "FREQ=WEEKLY;BYDAY=WE", [people["Maria"]])
    friday = MONDAY + timedelta(days=4)

    today = [(c.title, o.day) for c, o in selectors.chores_due_on(friday, today=friday)]
    wednesday = [c.title for c, _o in selectors.chores_due_on(MONDAY + timedelta(days=2), today=MONDAY)]

    assert today == [("dishes", MONDAY), ("laundry", date(2025, 1, 8))]
    assert wednesday == ["dishes", "laundry"]


def test_chores_are_found_by_title_alias_or_synonym_whatever_the_case_and_accents(family):
    assert selectors.chore_find("Dishes").title == "dishes"
    assert selectors.chore_find("los platos").title == "dishes"
    assert selectors.chore_find("the bins").title == "trash"
    assert selectors.chore_find("HOOVERING").title == "vacuum"
    assert selectors.chore_find("la colada").title == "laundry"
    assert selectors.chore_find("aspiradora").title == "vacuum"
    assert selectors.chore_find("gardening") is None


def test_the_chore_tools_answer_in_the_users_language(family):
    leo, maria = family["Leo"], family["Maria"]

    added = tool_call(leo, "chore_add", title="water the plants", recurrence="FREQ=WEEKLY;BYDAY=SU", assignees=["me"])
    assigned = tool_call(maria, "chore_assign", chore="colada", member="leo", language="es")
    due = tool_call(leo, "chore_due", language="es")
    snoozed = tool_call(leo, "chore_snooze", chore="trash", days=2)

    assert added.text.startswith("New chore: water the plants, every Sunday, first ")
    assert added.text.endswith("Assigned to Leo.")
    assert assigned.text == "A partir de ahora laundry le toca a Leo."
    assert due.text.startswith("Tareas para hoy:") or due.text == "No hay tareas hoy. 🎉"
    assert snoozed.text.startswith("Snoozed trash by 2 days: now due ")
    assert Chore.objects.get(title="laundry").current_assignee == leo


def test_adding_a_chore_for_someone_unknown_lists_the_members_and_creates_nothing(family):
    result = tool_call(family["Ana"], "chore_add", title="walk the dog", assignees=["Bob"])

    assert not result.ok
    assert result.text == "I don't know anyone called Bob. The members are: Ana, Leo, Maria."
    assert not Chore.objects.filter(title="walk the dog").exists()


def test_the_demo_chores_are_seeded_once_with_their_aliases_and_turns(family):
    from io import StringIO

    from django.core.management import call_command

    call_command("seed_demo", stdout=StringIO())

    chores = {c.title: c for c in Chore.objects.all()}
    assert sorted(chores) == ["dishes", "laundry", "trash", "vacuum"]
    assert chores["dishes"].alias_list() == ["platos", "fregar"]
    assert [a.member.name for a in chores["dishes"].assignments.all()] == ["Leo", "Maria"]
    assert chores["dishes"].strategy == Chore.Strategy.ROUND_ROBIN
    assert chores["trash"].recurrence == "FREQ=WEEKLY;BYDAY=MO,TH" and chores["trash"].current_assignee.name == "Leo"
    assert chores["vacuum"].recurrence == "FREQ=WEEKLY;BYDAY=SA" and chores["vacuum"].current_assignee.name == "Ana"
    assert chores["laundry"].recurrence == "FREQ=WEEKLY;BYDAY=WE"
    assert chores["laundry"].alias_list() == ["colada", "lavadora", "ropa"]
    now = datetime.now(UTC)
    assert all(c.next_due >= selectors.local_today(None, now=now) for c in chores.values())


def test_the_chores_due_this_week_are_listed_day_by_day_until_sunday(family):
    today = selectors.local_today(family["Ana"])

    lines = tool_call(family["Ana"], "chore_due", week=True).text.splitlines()

    assert lines[0] == "Chores due this week:"
    # The demo's dishes are daily, so every day left in the week has a line, and only those days.
    assert len(lines) == 1 + 7 - today.weekday()
    assert all("dishes — " in line for line in lines[1:])
    assert lines[1].startswith("• today: ")
