"""CI guard for the CRM rules: the biz corpus must stay at coverage ≥ 90 % and precision ≥ 98 % per language,
with no must-not-write line firing (bench/brain_eval.py prints the same figures with every miss and misfire)."""

from pathlib import Path

import pytest

from alfred.brain import rules_match
from alfred.rules.corpus import evaluate, format_report, load_corpus
from work_skills.evaluation import ARGUMENT_MATCHERS

pytestmark = pytest.mark.biz

CORPUS = Path(__file__).with_name("corpus")


def test_the_corpus_covers_every_crm_tool_in_both_languages_with_negatives():
    corpus = load_corpus(CORPUS)

    assert set(corpus) == {"en", "es"}
    for cases in corpus.values():
        assert len(cases) >= 90
        assert sum(case.tool is None for case in cases) >= 25
        assert {case.tool for case in cases} >= {
            "crm_deal_status",
            "crm_deals_closing",
            "crm_contact",
            "crm_note_add",
            "crm_pipeline",
        }


def test_the_rules_meet_the_coverage_and_precision_targets_in_each_language(demo):
    reports = evaluate(rules_match, CORPUS, matchers=ARGUMENT_MATCHERS)

    summary = format_report(reports)
    for report in reports:
        assert report.coverage >= 0.90, summary
        assert report.precision >= 0.98, summary
        assert report.fired_on_negatives == 0, summary


def test_no_note_is_ever_written_from_a_must_not_fire_line(demo):
    """The one write: a negative that proposes crm_note_add is the worst misfire, whatever the totals say."""
    for cases in load_corpus(CORPUS).values():
        for case in cases:
            got = rules_match(case.text, case.language) or []
            if case.tool != "crm_note_add":
                assert "crm_note_add" not in [intent.tool for intent in got], case.text
