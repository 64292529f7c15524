"""The rules on text we did not write (home_skills/evaluation.py): Home Assistant's list templates, expanded
by hassil from the installed package, its device sentences and our out-of-scope lines. Precision first: on
every set the rules are right ≥ 98 % of the times they act, never write junk, and leave alone ≥ 99 % of
what they must not write."""

import pytest

from alfred.brain import rules_match
from alfred.rules.corpus import evaluate_cases, format_report
from home_skills import evaluation

pytestmark = pytest.mark.home

# The coverage the rules reached on Home Assistant's list templates (en 99.7 %, es 93.3 %), minus a small
# margin: a change that loses a kind of phrasing fails here, one odd line does not.
TEMPLATE_COVERAGE_FLOOR = {"en": 0.97, "es": 0.90}

SETS = {
    "ha-templates": evaluation.held_out_templates,
    "ha-devices": evaluation.held_out_devices,
    "out-of-scope": evaluation.out_of_scope,
}


def test_the_held_out_sets_are_large_in_both_languages():
    templates = evaluation.held_out_templates()
    devices = evaluation.held_out_devices()

    assert {len(templates["en"]) >= 300, len(templates["es"]) >= 500} == {True}
    assert {len(devices["en"]), len(devices["es"])} == {evaluation.DEVICE_LINES}
    assert all(case.tool is None for cases in devices.values() for case in cases)
    assert {case.tool for case in templates["es"]} == {"grocery_add", "grocery_bought", "grocery_remove"}
    assert any(case.args.get("list") == "pharmacy" for case in templates["en"])


@pytest.mark.parametrize("name", sorted(SETS))
def test_the_rules_are_precise_and_write_no_junk_on_every_held_out_set(family, name):
    reports = evaluate_cases(
        rules_match,
        SETS[name](),
        matchers=evaluation.ARGUMENT_MATCHERS,
        junk=evaluation.is_junk,
        declines=evaluation.DECLINES,
    )

    summary = format_report(reports)
    for report in reports:
        assert report.precision >= 0.98, summary
        assert report.junk == 0, summary
        assert report.clean >= 0.99, summary


def test_out_of_scope_requests_get_the_short_answer_rather_than_i_did_not_understand(family):
    reports = evaluate_cases(rules_match, evaluation.out_of_scope(), declines=evaluation.DECLINES)

    # Half of our must-not-write lines are calendar, reminder, device or "delete everything" requests.
    assert all(report.declined >= len(report.negatives) // 2 for report in reports), format_report(reports)
    assert all(report.clean == 1.0 for report in reports), format_report(reports)


def test_the_rules_keep_their_coverage_of_the_held_out_list_templates(family):
    reports = evaluate_cases(
        rules_match, evaluation.held_out_templates(), matchers=evaluation.ARGUMENT_MATCHERS, junk=evaluation.is_junk
    )

    summary = format_report(reports, details=False)
    for report in reports:
        assert report.coverage >= TEMPLATE_COVERAGE_FLOOR[report.language], summary
