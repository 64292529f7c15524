"""CI guard for the rules: the evaluation corpus must stay at coverage ≥ 90 % and precision ≥ 98 % per
language (bench/brain_eval.py prints the same figures with every miss and misfire)."""

import pytest

from alfred.brain import rules_match
from home_skills.evaluation import LANGUAGES, evaluate, format_report, load_corpus

pytestmark = pytest.mark.home


def test_the_corpus_is_large_and_half_spanish():
    sizes = {language: len(load_corpus(language)) for language in LANGUAGES}

    assert sum(sizes.values()) >= 200
    assert sizes["es"] * 2 >= sum(sizes.values()) - 2
    assert all(sum(case.tool is None for case in load_corpus(lang)) >= 10 for lang in LANGUAGES)


def test_the_rules_meet_the_coverage_and_precision_targets_in_each_language(family):
    reports = evaluate(rules_match)

    summary = format_report(reports)
    for report in reports:
        assert report.coverage >= 0.90, summary
        assert report.precision >= 0.98, summary
        assert report.fired_on_negatives == 0, summary
