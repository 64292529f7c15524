"""Scores the rules against the evaluation corpus (``tests/home_skills/corpus/*.jsonl``).

coverage  = positives the rules handled / positives
precision = handled with the right tool and arguments / everything handled (a negative that fired is wrong)

Item names are compared after the normaliser (case, accents, singular/plural), list names and chore titles
case- and accent-insensitively, quantities as numbers.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alfred.language import language_detect
from alfred.registry import Intent
from alfred.rules.text import name_key, simplify

CORPUS_DIR = Path(__file__).resolve().parent.parent / "tests" / "home_skills" / "corpus"
LANGUAGES = ("en", "es")
COVERAGE_TARGET = 0.90
PRECISION_TARGET = 0.98

Matcher = Callable[[str, str], list[Intent] | None]


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

    @property
    def handled(self) -> bool:
        return bool(self.got)

    @property
    def right(self) -> bool:
        if self.case.tool is None:
            return not self.got
        return bool(self.got) and len(self.got or []) == 1 and intent_matches(self.case, (self.got or [])[0])

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
        return sum(r.handled for r in self.negatives)

    @property
    def coverage(self) -> float:
        return self.handled / len(self.positives) if self.positives else 0.0

    @property
    def precision(self) -> float:
        fired = self.handled + self.fired_on_negatives
        right = sum(r.right for r in self.positives if r.handled)
        return right / fired if fired else 1.0

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
        return self.coverage >= COVERAGE_TARGET and self.precision >= PRECISION_TARGET


def load_corpus(language: str, directory: Path = CORPUS_DIR) -> list[Case]:
    cases = []
    for line in (directory / f"{language}.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            cases.append(Case(text=row["text"], tool=row["tool"], args=row.get("args") or {}, language=language))
    return cases


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _items_match(expected: list[dict[str, Any]], got: list[dict[str, Any]]) -> bool:
    if len(expected) != len(got):
        return False
    for want, have in zip(expected, got, strict=True):
        if name_key(want["name"]) != name_key(str(have.get("name", ""))):
            return False
        if _number(want.get("quantity")) != _number(have.get("quantity")):
            return False
        if (want.get("unit") or None) != (have.get("unit") or None):
            return False
    return True


def args_match(expected: dict[str, Any], got: dict[str, Any]) -> bool:
    expected = {k: v for k, v in expected.items() if v not in (None, "", [])}
    got = {k: v for k, v in got.items() if v not in (None, "", [])}
    if set(expected) != set(got):
        return False
    for key, want in expected.items():
        have = got[key]
        if key == "items":
            if not _items_match(want, have):
                return False
        elif key in ("list", "title", "chore", "member"):
            if simplify(str(want)) != simplify(str(have)):
                return False
        elif key == "assignees":
            if [simplify(str(n)) for n in want] != [simplify(str(n)) for n in have]:
                return False
        elif want != have:
            return False
    return True


def intent_matches(case: Case, got: Intent) -> bool:
    return got.tool == case.tool and args_match(case.args, got.args)


def evaluate(match: Matcher, *, languages: tuple[str, ...] = LANGUAGES) -> list[Report]:
    """Run every corpus line through ``match(text, detected_language)``. The detector's default is the
    *other* language, so a line counts as detected only on its own evidence."""
    reports = []
    for language in languages:
        report = Report(language=language)
        fallback = "es" if language == "en" else "en"
        for case in load_corpus(language):
            detected = language_detect(case.text, default=fallback)
            report.results.append(Result(case=case, got=match(case.text, detected), detected=detected))
        reports.append(report)
    return reports


def format_report(reports: list[Report], *, details: bool = True) -> str:
    lines = [
        f"{'lang':<5}{'lines':>6}{'positives':>10}{'handled':>9}{'coverage':>10}{'precision':>11}"
        f"{'negatives':>10}{'neg fired':>10}{'lang ok':>9}"
    ]
    for r in reports:
        lines.append(
            f"{r.language:<5}{len(r.results):>6}{len(r.positives):>10}{r.handled:>9}{r.coverage:>10.1%}"
            f"{r.precision:>11.1%}{len(r.negatives):>10}{r.fired_on_negatives:>10}{r.language_accuracy:>9.1%}"
        )
    lines.append(
        f"targets: coverage ≥ {COVERAGE_TARGET:.0%}, precision ≥ {PRECISION_TARGET:.0%} per language — "
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
                if result.detected != r.language:
                    lines.append(f"  language [{r.language}] {result.case.text!r} detected as {result.detected}")
    return "\n".join(lines)
