"""How well do the rules understand the family? Runs every line of the evaluation corpus
(tests/home_skills/corpus/{en,es}.jsonl) through the real rules of settings.home, on a throwaway SQLite
database seeded with the demo family, and prints coverage and precision per language, then each miss and
misfire. Offline and free; exits 0 (the pytest tests/home_skills/test_corpus.py guards the targets).

Then the held-out sets (``home_skills/evaluation.py``: Home Assistant's list templates expanded with hassil
from the installed package, its device sentences, our out-of-scope lines), each with coverage, precision,
junk and the must-not-write lines left clean or *declined* (answered "I can't change your calendar" by the
``out_of_scope`` tool, which writes nothing) per language; ``--details`` lists their misses and misfires too.

With OPENAI_API_KEY set and bench/llm_misses.py present, the lines the rules missed are handed to its
``llm_report(misses)``.

    .venv/bin/python bench/brain_eval.py [--quiet] [--details]
"""

import importlib.util
import io
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "home_skills" / "corpus"
sys.path.insert(0, str(ROOT))


def setup_django(database: Path, settings_module: str = "settings.home") -> None:
    for name in ("DATABASE_URL", "REDIS_URL", "INSTANCE"):
        os.environ.pop(name, None)
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    os.environ.setdefault("TASKS_INLINE", "1")
    import django
    from django.conf import settings

    # A fresh database of our own, whatever .env says: the evaluation never touches real data.
    settings.DATABASES["default"] = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(database)}
    django.setup()


# Messages built to make regular expressions backtrack; the rules must stay fast on all of them.
ADVERSARIAL = [
    "add " + " " * 1990 + "x",
    "add " + ", " * 990 + "x",
    "new chore x for " + "y" * 60 + "1",
    "add chore x every " + "monday and " * 150 + "1",
    "we need " + "a and " * 300,
    "add " + "x" * 1996,
    "add " + "😀" * 1000,
    "done with " + "the " * 400,
    "who " + "is doing " * 200 + "the dishes today",
    "añade " + "leche y " * 240,
]


def adversarial_worst(match: Callable[[str, str], object]) -> tuple[float, str]:
    worst = (0.0, "")
    for text in ADVERSARIAL:
        started = time.perf_counter()
        match(text[:2000], "en")
        worst = max(worst, (time.perf_counter() - started, text))
    return worst


def main() -> int:
    quiet = "--quiet" in sys.argv
    with tempfile.TemporaryDirectory() as directory:
        setup_django(Path(directory) / "brain_eval.sqlite3")
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        call_command("seed_demo", stdout=io.StringIO())

        from alfred.brain import rules_match
        from alfred.rules.corpus import evaluate, evaluate_cases, format_report
        from home_skills import evaluation

        started = time.perf_counter()
        reports = evaluate(
            rules_match,
            CORPUS,
            matchers=evaluation.ARGUMENT_MATCHERS,
            junk=evaluation.is_junk,
            declines=evaluation.DECLINES,
        )
        elapsed = time.perf_counter() - started
        lines = sum(len(r.results) for r in reports)
        print("== our corpus (tests/home_skills/corpus)")
        print(format_report(reports, details=not quiet))
        print(f"{lines} lines in {elapsed * 1000:.0f} ms ({elapsed * 1000 / max(lines, 1):.1f} ms per line)")

        held_out = [
            ("Home Assistant list templates (held out)", evaluation.held_out_templates),
            ("Home Assistant device sentences (must not write)", evaluation.held_out_devices),
            ("out of scope: calendar, reminders, everything (must not write)", evaluation.out_of_scope),
        ]
        for title, build in held_out:
            set_reports = evaluate_cases(
                rules_match,
                build(),
                matchers=evaluation.ARGUMENT_MATCHERS,
                junk=evaluation.is_junk,
                declines=evaluation.DECLINES,
            )
            print(f"\n== {title}")
            print(format_report(set_reports, details="--details" in sys.argv))

        slowest, text = adversarial_worst(rules_match)
        print(f"adversarial inputs (2,000-character floods): slowest {slowest * 1000:.1f} ms ({text[:24]!r}…)")

        misses = [result.as_dict() for report in reports for result in report.misses]
        hook = Path(__file__).with_name("llm_misses.py")
        if os.environ.get("OPENAI_API_KEY") and hook.is_file() and misses:
            spec = importlib.util.spec_from_file_location("llm_misses", hook)
            if spec is not None and spec.loader is not None:
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
                module.llm_report(misses)
    return 0


# The biz CRM corpus (tests/work_skills/corpus), scored the same way under settings.biz on the biz demo data.
# One settings module per process, so it runs in a child process of its own.
BIZ_CORPUS = ROOT / "tests" / "work_skills" / "corpus"


def biz_main() -> int:
    with tempfile.TemporaryDirectory() as directory:
        setup_django(Path(directory) / "brain_eval_biz.sqlite3", "settings.biz")
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        call_command("seed_demo", stdout=io.StringIO())

        from alfred.brain import rules_match
        from alfred.rules.corpus import evaluate, format_report
        from work_skills.evaluation import ARGUMENT_MATCHERS

        reports = evaluate(rules_match, BIZ_CORPUS, matchers=ARGUMENT_MATCHERS)
        print("== biz corpus (tests/work_skills/corpus)")
        print(format_report(reports, details="--quiet" not in sys.argv))
    return 0


if __name__ == "__main__":
    if "--biz" in sys.argv:
        sys.exit(biz_main())
    status = main()
    sys.exit(status or subprocess.call([sys.executable, __file__, "--biz", *sys.argv[1:]]))
