"""Scores rules against a corpus of labelled messages: how much they understand, and how rarely they err.

A corpus is a directory of ``<language>.jsonl`` files (or one such file). Each line is one message and the
tool call it must give: ``{"text": "add milk", "tool": "grocery_add", "args": {"items": [{"name": "milk"}]}}``;
``"tool": null`` marks a message the rules must leave alone (a *negative*).

coverage  = positives the rules handled / positives
precision = handled with the right tool and arguments / everything handled (a negative that fired is wrong)
junk      = handled lines where the skill's ``Junk`` check finds a piece of the sentence left in an argument
            (an item called "tissues so can you"): counted apart because it is the worst kind of misfire
declined  = negatives answered by a tool that only says what the skills do not do (the skill's
            ``declines``, e.g. "I can't change your calendar"): they write nothing, so they count as left
            alone; on a positive the same answer is a misfire

Arguments are compared after empty values are dropped: by equality, or by the comparison the skill gives
for that argument name (``ArgumentMatchers``), e.g. names that ignore case and accents.
"""

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alfred.language import language_detect
from alfred.registry import Intent
from alfred.rules.text import simplify

COVERAGE_TARGET = 0.90
PRECISION_TARGET = 0.98

# match(text, language) → the intents, or None when the rules leave the message alone.
Matcher = Callable[[str, str], list[Intent] | None]
# (expected, got) → whether they count as the same argument value.
ValueMatch = Callable[[Any, Any], bool]
# Argument name → its comparison; names not listed are compared by equality.
ArgumentMatchers = Mapping[str, ValueMatch]
# (case, one intent the rules gave) → whether an argument holds a piece of the sentence (junk).
Junk = Callable[["Case", Intent], bool]


@dataclass(frozen=True)
class Case:
    text: str
    tool: str | None
    args: dict[str, Any]
    language: str


@dataclass
class Result:
    case: Case
    got: list[Intent] | None
    detected: str
    # One intent, the expected tool, matching arguments; for a negative: nothing fired.
    right: bool

    # An argument of what fired holds a piece of the sentence (see ``Junk``).
    junk: bool = False
    # Every intent was a declining one (see ``declines`` in ``evaluate_cases``): nothing was written.
    declined: bool = False

    @property
    def handled(self) -> bool:
        return bool(self.got)

    def as_dict(self) -> dict[str, Any]:
        return {
            "text": self.case.text,
            "language": self.case.language,
            "tool": self.case.tool,
            "args": self.case.args,
            "got": [{"tool": i.tool, "args": i.args} for i in self.got or []],
        }


@dataclass
class Report:
    language: str
    results: list[Result] = field(default_factory=list)

    @property
    def positives(self) -> list[Result]:
        return [r for r in self.results if r.case.tool is not None]

    @property
    def negatives(self) -> list[Result]:
        return [r for r in self.results if r.case.tool is None]

    @property
    def handled(self) -> int:
        return sum(r.handled for r in self.positives)

    @property
    def fired_on_negatives(self) -> int:
        return sum(r.handled and not r.declined for r in self.negatives)

    @property
    def declined(self) -> int:
        return sum(r.declined for r in self.negatives)

    @property
    def junk(self) -> int:
        return sum(r.junk for r in self.results)

    @property
    def coverage(self) -> float:
        return self.handled / len(self.positives) if self.positives else 0.0

    @property
    def precision(self) -> float:
        fired = self.handled + self.fired_on_negatives
        right = sum(r.right for r in self.positives if r.handled)
        return right / fired if fired else 1.0

    @property
    def clean(self) -> float:
        """Negatives left alone / negatives: for must-not-write sets."""
        return 1 - self.fired_on_negatives / len(self.negatives) if self.negatives else 1.0

    @property
    def misses(self) -> list[Result]:
        return [r for r in self.positives if not r.handled]

    @property
    def misfires(self) -> list[Result]:
        return [r for r in self.results if r.handled and not r.right]

    @property
    def language_accuracy(self) -> float:
        return sum(r.detected == self.language for r in self.results) / len(self.results) if self.results else 0.0

    def meets_targets(self) -> bool:
        """Coverage (when there is anything to handle) and precision at their targets, no junk."""
        covered = self.coverage >= COVERAGE_TARGET or not self.positives
        return covered and self.precision >= PRECISION_TARGET and self.junk == 0


def load_corpus(path: Path) -> dict[str, list[Case]]:
    """The cases of a corpus directory (every ``<language>.jsonl`` in it) or of one such file, by language
    in name order. A path with no corpus file is an error, not an empty corpus that meets every target."""
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    if not files or not all(file.is_file() for file in files):
        raise FileNotFoundError(f"no <language>.jsonl corpus at {path}")
    corpus = {}
    for file in files:
        language = file.stem
        cases = []
        for line in file.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                cases.append(Case(text=row["text"], tool=row["tool"], args=row.get("args") or {}, language=language))
        corpus[language] = cases
    return corpus


def same_text(want: Any, have: Any) -> bool:
    """Names and titles: case, accents and punctuation ignored."""
    return simplify(str(want)) == simplify(str(have))


def same_texts(want: Any, have: Any) -> bool:
    """Lists of names, in order, each compared like ``same_text``."""
    return [simplify(str(n)) for n in want] == [simplify(str(n)) for n in have]


def args_match(expected: dict[str, Any], got: dict[str, Any], matchers: ArgumentMatchers) -> bool:
    """Same argument names once empty values are dropped, and each value the same by its comparison."""
    expected = {k: v for k, v in expected.items() if v not in (None, "", [])}
    got = {k: v for k, v in got.items() if v not in (None, "", [])}
    if set(expected) != set(got):
        return False
    for key, want in expected.items():
        same = matchers.get(key)
        if not (same(want, got[key]) if same is not None else want == got[key]):
            return False
    return True


def is_right(
    case: Case, got: list[Intent] | None, matchers: ArgumentMatchers, declines: frozenset[str] = frozenset()
) -> bool:
    """A positive: exactly one intent, the expected tool, matching arguments. A negative: nothing fired, or
    only a tool that declines (writes nothing)."""
    if case.tool is None:
        return not got or all(intent.tool in declines for intent in got)
    if not got or len(got) != 1:
        return False
    return got[0].tool == case.tool and args_match(case.args, got[0].args, matchers)


def evaluate(
    match: Matcher,
    corpus: Path,
    *,
    matchers: ArgumentMatchers | None = None,
    junk: Junk | None = None,
    declines: frozenset[str] = frozenset(),
) -> list[Report]:
    """Run every line of the corpus at ``corpus`` (see ``load_corpus``) through ``match(text,
    detected_language)``, one report per language."""
    return evaluate_cases(match, load_corpus(corpus), matchers=matchers, junk=junk, declines=declines)


def evaluate_cases(
    match: Matcher,
    corpus: Mapping[str, list[Case]],
    *,
    matchers: ArgumentMatchers | None = None,
    junk: Junk | None = None,
    declines: frozenset[str] = frozenset(),
) -> list[Report]:
    """Like ``evaluate``, for cases built in memory (held-out sets generated at test time). The language
    detector's default is the *other* language, so a line counts as detected only on its own evidence."""
    reports = []
    for language, cases in corpus.items():
        report = Report(language=language)
        fallback = "es" if language == "en" else "en"
        for case in cases:
            detected = language_detect(case.text, default=fallback)
            got = match(case.text, detected)
            right = is_right(case, got, matchers or {}, declines)
            result = Result(case=case, got=got, detected=detected, right=right)
            result.junk = bool(junk and got and any(junk(case, intent) for intent in got))
            result.declined = bool(got) and all(intent.tool in declines for intent in got or [])
            report.results.append(result)
        reports.append(report)
    return reports


def format_report(reports: list[Report], *, details: bool = True) -> str:
    """A table of the figures per language and whether the targets are met; with ``details``, every miss,
    misfire and wrongly detected language."""
    lines = [
        f"{'lang':<5}{'lines':>6}{'positives':>10}{'handled':>9}{'coverage':>10}{'precision':>11}"
        f"{'negatives':>10}{'neg fired':>10}{'declined':>9}{'clean':>8}{'junk':>6}{'lang ok':>9}"
    ]
    for r in reports:
        lines.append(
            f"{r.language:<5}{len(r.results):>6}{len(r.positives):>10}{r.handled:>9}{r.coverage:>10.1%}"
            f"{r.precision:>11.1%}{len(r.negatives):>10}{r.fired_on_negatives:>10}{r.declined:>9}{r.clean:>8.1%}"
            f"{r.junk:>6}{r.language_accuracy:>9.1%}"
        )
    lines.append(
        f"targets: coverage ≥ {COVERAGE_TARGET:.0%}, precision ≥ {PRECISION_TARGET:.0%}, no junk per language — "
        + ("met" if all(r.meets_targets() for r in reports) else "NOT met")
    )
    if details:
        for r in reports:
            for miss in r.misses:
                lines.append(
                    f"  miss     [{r.language}] {miss.case.text!r} → expected {miss.case.tool} {miss.case.args}"
                )
            for wrong in r.misfires:
                got = [(i.tool, i.args) for i in wrong.got or []]
                lines.append(
                    f"  misfire  [{r.language}] {wrong.case.text!r} → got {got}; expected {wrong.case.tool} "
                    f"{wrong.case.args}"
                )
            for result in r.results:
                if result.junk:
                    got = [(i.tool, i.args) for i in result.got or []]
                    lines.append(f"  junk     [{r.language}] {result.case.text!r} → got {got}")
                if result.detected != r.language:
                    lines.append(f"  language [{r.language}] {result.case.text!r} detected as {result.detected}")
    return "\n".join(lines)
