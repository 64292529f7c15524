"""CI guard for the rules: our own evaluation corpus must stay at coverage 100 % and precision ≥ 98 % per
language, with no junk and no write on its negatives (bench/brain_eval.py prints the same figures with every
miss and misfire)."""

from pathlib import Path

import pytest

from alfred.brain import rules_match
from alfred.rules.corpus import evaluate, format_report, load_corpus
from home_skills.evaluation import ARGUMENT_MATCHERS, DECLINES, is_junk

pytestmark = pytest.mark.home

CORPUS = Path(__file__).with_name("corpus")


def test_the_corpus_is_large_and_half_spanish():
    corpus = load_corpus(CORPUS)
    sizes = {language: len(cases) for language, cases in corpus.items()}

    assert set(sizes) == {"en", "es"}
    assert sum(sizes.values()) >= 200
    assert sizes["es"] * 2 >= sum(sizes.values()) - 2
    assert all(sum(case.tool is None for case in cases) >= 10 for cases in corpus.values())


def test_the_rules_meet_the_coverage_and_precision_targets_in_each_language(family):
    reports = evaluate(rules_match, CORPUS, matchers=ARGUMENT_MATCHERS, junk=is_junk, declines=DECLINES)

    summary = format_report(reports)
    for report in reports:
        # The rules were written with this corpus in view: every line of it stays understood.
        assert report.coverage == 1.0, summary
        assert report.junk == 0, summary
        assert report.precision >= 0.98, summary
        assert report.fired_on_negatives == 0, summary
